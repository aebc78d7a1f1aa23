"""The product's settings under a test environment.

Only the environment is set here; every setting still comes from
therapy_site/settings.py. Tests never touch a real AWS account or a
developer's local engine.
"""

import os

os.environ["DYNAMODB_ENDPOINT_URL"] = ""
os.environ["DYNAMODB_TABLE_PREFIX"] = ""
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ["DJANGO_DEBUG"] = "false"
# A fixed test-only master key (id "test"): production refuses to start without one.
os.environ["DATA_ENCRYPTION_KEYS"] = "test:dGVzdC1vbmx5LW1hc3Rlci1rZXktMzItYnl0ZXMhISE="
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ["AWS_REGION"] = "us-east-1"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
# Playwright's sync API runs an event loop in the test thread; Django would
# otherwise refuse ORM-free but "async-unsafe" calls made from it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from therapy_site.settings import *  # noqa: E402,F403
from therapy_site.settings import TEMPLATES  # noqa: E402

# Tests serve static files from the source folders: no collectstatic step.
STORAGES = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A misspelt or missing variable fails the test that renders it, instead of printing nothing.
TEMPLATES[0]["OPTIONS"]["undefined"] = "jinja2.StrictUndefined"
