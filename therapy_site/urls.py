# The portal's routes themselves rather than include()d under an empty prefix: the
# same URLs and names, and one resolver fewer for every request to pass through.
from portal.urls import urlpatterns

__all__ = ["urlpatterns", "handler500"]

handler500 = "portal.views.errors.server_error"
