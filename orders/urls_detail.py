"""Order Details and its actions (SPEC S7), inside the "orders" namespace."""

from django.urls import path

from .views import actions, detail

urlpatterns = [
    path("<int:order_id>/", detail.order_detail, name="detail"),
    path("<int:order_id>/cancel/", actions.order_cancel, name="cancel"),
    path("<int:order_id>/refund/", actions.order_refund, name="refund"),
    path("<int:order_id>/ship/", actions.order_ship, name="ship"),
    path("<int:order_id>/accept/", actions.order_accept, name="accept"),
    path("<int:order_id>/refuse/", actions.order_refuse, name="refuse"),
    path("<int:order_id>/hold/", actions.order_hold, name="hold"),
    path("<int:order_id>/release-hold/", actions.order_release_hold, name="release_hold"),
    path("<int:order_id>/resolve-problem/", actions.order_resolve_problem, name="resolve_problem"),
    path("<int:order_id>/note/", actions.order_add_note, name="add_note"),
    path("<int:order_id>/address/", actions.order_edit_address, name="edit_address"),
    path(
        "<int:order_id>/packages/<int:package_id>/retry-upload/",
        actions.package_retry,
        name="package_retry_upload",
    ),
    path("<int:order_id>/packages/<int:package_id>/upload/", actions.package_upload, name="package_upload"),
]
