"""{% crisis_contacts %}: the crisis contacts box, from the one setting messaging shares."""

from __future__ import annotations

from typing import Any

from django import template

from portal.services.safety import crisis_contacts as contacts

register = template.Library()


@register.inclusion_tag("portal/_crisis_contacts.html")
def crisis_contacts(box_id: str = "crisis-contacts") -> dict[str, Any]:
    return {"contacts": contacts(), "box_id": box_id}
