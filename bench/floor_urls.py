"""The product's URLs plus the bench's floor views."""

from django.urls import path

from bench.floor import floor
from therapy_site.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("__bench/floor/<str:name>/", floor, name="bench_floor"),
    *product_urlpatterns,
]

handler500 = "portal.views.errors.server_error"
