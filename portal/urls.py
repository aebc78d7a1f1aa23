from django.urls import path

from portal.views import health, public

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
]
