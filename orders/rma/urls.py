"""RMA URLs (namespace "rmas", mounted at /rmas/): Manage RMAs, RMA Details and its actions,
Return Settings is under Company Settings (urls_settings); Create RMA under Order Details."""

from django.urls import path

from . import manage, views

app_name = "rmas"

urlpatterns = [
    path("", manage.rma_list, name="list"),
    path("<int:rma_id>/", views.rma_detail, name="detail"),
    path("<int:rma_id>/receive/", views.rma_receive, name="receive"),
    path("<int:rma_id>/resolution/", views.rma_resolution, name="resolution"),
    path("<int:rma_id>/refund/", views.rma_refund, name="refund"),
    path("<int:rma_id>/hold/", views.rma_hold, name="hold"),
    path("<int:rma_id>/release/", views.rma_release, name="release"),
    path("<int:rma_id>/close/", views.rma_close, name="close"),
    path("<int:rma_id>/cancel/", views.rma_cancel, name="cancel"),
]
