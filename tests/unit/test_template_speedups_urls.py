"""Another URL configuration, for the test of the templates' remembered reversals."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/journal/", lambda request: HttpResponse(), name="journal")]
