"""Another URL configuration, for the memoized {% url %} tag's test."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/journal/", lambda request: HttpResponse(), name="journal")]
