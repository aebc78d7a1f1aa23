"""axe-core in the page under test, for accessibility scans."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@cache
def _axe_source() -> str:
    return AXE.read_text()


def axe_violations(page: Page) -> list[tuple[str, str, list[Any]]]:
    """The violations axe finds on the page as it is now: (rule, help, targets).

    Evaluated rather than added as a script tag, which the strict CSP blocks;
    injected once per document.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def axe_at_both_widths(page: Page) -> dict[str, list[Any]]:
    """One load scanned at phone and at desktop width (the layout follows the viewport); the phone width stays.

    The page's own faults (``page_faults``) are reported with the desktop scan.
    """
    found: dict[str, list[Any]] = {}
    faults = page_faults(page)
    if faults:
        found["markup"] = faults
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    return found


# What axe no longer checks (duplicate ids) or cannot know (a reference to an id
# that does not exist is silently ignored by browsers), and the no-JavaScript rule
# that every htmx link and post also works as plain HTML.
_PAGE_FAULTS = """() => {
  const faults = [];
  const counts = {};
  document.querySelectorAll('[id]').forEach((e) => { counts[e.id] = (counts[e.id] || 0) + 1; });
  Object.entries(counts).forEach(([id, n]) => { if (n > 1) faults.push(`id "${id}" used ${n} times`); });
  ['aria-describedby', 'aria-labelledby', 'aria-controls', 'for'].forEach((attr) => {
    document.querySelectorAll(`[${attr}]`).forEach((e) => {
      e.getAttribute(attr).split(/\\s+/).filter(Boolean).forEach((ref) => {
        if (!document.getElementById(ref)) faults.push(`${attr}="${ref}" names no element`);
      });
    });
  });
  document.querySelectorAll('a[hx-get]:not([href])').forEach((e) => faults.push(`hx-get link without href: ${e.outerHTML.slice(0, 80)}`));
  // A link that posts through htmx leads without JavaScript to a page asking first (delete).
  document.querySelectorAll('[hx-post]:not(a[href])').forEach((e) => {
    const form = e.closest('form');
    if (!form || (form.getAttribute('method') || '').toLowerCase() !== 'post' || !form.getAttribute('action')) {
      faults.push(`hx-post outside a plain post form: ${e.outerHTML.slice(0, 80)}`);
    }
  });
  return faults;
}"""


def page_faults(page: Page) -> list[str]:
    """Repeated ids, references to ids that do not exist, htmx without its plain-HTML path."""
    faults: list[str] = page.evaluate(_PAGE_FAULTS)
    return faults
