from django.urls import include, path

urlpatterns = [
    path("", include("portal.urls")),
]

handler500 = "portal.views.errors.server_error"
