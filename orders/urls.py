"""Orders URLs: Manage Orders (urls_manage) and Order Details with its actions (urls_detail)."""

from django.urls import include, path

app_name = "orders"

urlpatterns = [
    path("", include("orders.urls_manage")),
    path("", include("orders.urls_detail")),
]
