"""Production settings for gunicorn servers started by tests: static files from the source folders.

With DEBUG off the product uses whitenoise's manifest storage, which needs a
collectstatic run; the servers these tests start only need `{% static %}` to
resolve, so they use the plain storage. Everything else is therapy_site.settings.
"""

from therapy_site.settings import *  # noqa: F403

STORAGES = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
