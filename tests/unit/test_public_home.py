"""The start page points each visitor to where they are going."""

from __future__ import annotations

import pytest

from portal.domain import AccountKind
from tests.accounts import log_in, make_account


def test_it_invites_anonymous_visitors_to_sign_up_or_log_in(dynamo, client):
    body = client.get("/").content.decode()
    assert 'href="/accounts/signup/client/"' in body and 'href="/accounts/login/"' in body


@pytest.mark.parametrize(
    "kind,target",
    [(AccountKind.CLIENT, "/client/journal/"), (AccountKind.THERAPIST, "/therapist/"), (AccountKind.STAFF, "/staff/")],
)
def test_it_points_a_logged_in_person_to_their_pages(dynamo, client, kind, target):
    log_in(client, make_account(kind))
    assert f'class="button" href="{target}"' in client.get("/").content.decode()
