"""Order Details (`/orders/<id>/`, SPEC S7): the header, the panels and the Actions menu."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from sellercloud.http import AuthenticatedHttpRequest

from ..selectors import order_details_context


@login_required
def order_detail(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Everything about one order; 404 outside the user's companies."""
    details = order_details_context(order_id=order_id, user=request.user)
    order = details.order
    title = f"Order {order.pk} · {order.get_channel_display()} {order.channel_order_id}"
    return render(request, "orders/order_detail.html", {"title": title, "d": details, "order": order})
