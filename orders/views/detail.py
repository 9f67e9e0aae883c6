"""Order Details (`/orders/<id>/`, SPEC S7): the header, the panels and the Actions menu."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..selectors import order_details_context


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """Everything about one order; 404 outside the user's companies."""
    details = order_details_context(order_id=order_id, user=request.user)  # type: ignore[arg-type]
    order = details.order
    title = f"Order {order.pk} · {order.get_channel_display()} {order.channel_order_id}"
    return render(request, "orders/order_detail.html", {"title": title, "d": details, "order": order})
