"""The dashboard's URL (at /dashboard/, the home page after login)."""

from django.urls import path

from .views import dashboard

urlpatterns = [path("", dashboard.dashboard, name="dashboard")]
