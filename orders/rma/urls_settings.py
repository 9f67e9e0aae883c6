"""Return Settings, under Company Settings (`/companies/<id>/return-settings/`, namespace
"rma_settings"): the navigation then marks Company Settings as the current page."""

from django.urls import path

from . import settings_views

app_name = "rma_settings"

urlpatterns = [
    path("<int:company_id>/return-settings/", settings_views.return_settings, name="return_settings"),
    path("<int:company_id>/return-settings/toggle/", settings_views.return_reason_toggle, name="toggle"),
]
