"""Order Details and its actions (SPEC S7), inside the "orders" namespace."""

from django.urls import path

from .rma import views as rma_views
from .views import actions, detail

urlpatterns = [
    path("<int:order_id>/", detail.order_detail, name="detail"),
    path("<int:order_id>/cancel/", actions.order_cancel, name="cancel"),
    path("<int:order_id>/refund/", actions.order_refund, name="refund"),
    path("<int:order_id>/ship/", actions.order_ship, name="ship"),
    path("<int:order_id>/hold/", actions.order_hold, name="hold"),
    path("<int:order_id>/release-hold/", actions.order_release_hold, name="release_hold"),
    path("<int:order_id>/resolve-problem/", actions.order_resolve_problem, name="resolve_problem"),
    path("<int:order_id>/note/", actions.order_add_note, name="add_note"),
    path("<int:order_id>/address/", actions.order_edit_address, name="edit_address"),
    path("<int:order_id>/rma/", rma_views.rma_create, name="create_rma"),
    # The actions the order's channel offers (orders.channel_registry), e.g. Accept Order.
    path("<int:order_id>/channel/<slug:key>/", actions.order_channel_action, name="channel_action"),
    path(
        "<int:order_id>/packages/<int:package_id>/channel/<slug:key>/",
        actions.package_channel_action,
        name="channel_package_action",
    ),
]
