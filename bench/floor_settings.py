"""The product's settings plus the floor views of bench/pages.py (never used outside the bench).

Everything the page is measured under (middleware, sessions, templates engine,
static storage, DEBUG off) is therapy_site.settings; only the URL configuration
gains /__bench/floor/<name>/ and the template folder gains bench/templates.
"""

from therapy_site.settings import *  # noqa: F403
from therapy_site.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.floor_urls"
_product_dirs: list[object] = list(TEMPLATES[0]["DIRS"])  # type: ignore[call-overload]
TEMPLATES[0]["DIRS"] = [*_product_dirs, BASE_DIR / "bench" / "templates"]
