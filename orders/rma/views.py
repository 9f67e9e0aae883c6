"""Create RMA (from Order Details) and RMA Details with its actions: one small view per action.

Each finds the RMA or order in the user's companies (404 otherwise), checks the action's
permission there (403), parses its form and calls one service; the service's OrderRuleError
becomes the message at the top of the page. Rules are never checked here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.permissions import Permission, user_can

from .. import services as order_services
from ..forms import RefundForm
from ..models import RMA, Order
from ..rma_choices import Resolution
from ..rma_rules import RMAAction, rma_why_not
from ..rma_values import returnable_quantity, returned_quantities, rma_refund_suggestion, shipped_quantity
from ..rules import Action, why_not
from ..selectors import order_for_user_or_404
from ..view_steps import posted, run_step
from . import services
from .forms import CreateRMAForm, NoteForm, ReceiveForm, ResolutionForm
from .reasons import return_reasons
from .selectors import ACTION_PERMISSION, rma_details_context, rma_for_user_or_404


def _rma(request: AuthenticatedHttpRequest, rma_id: int, action: RMAAction) -> RMA:
    """The RMA (404 outside the user's companies) once the user may do `action` there (403)."""
    rma = rma_for_user_or_404(request.user, rma_id)
    if not user_can(request.user, ACTION_PERMISSION[action], rma.company):
        raise PermissionDenied(f"You do not have the permission to {action.label} in {rma.company}.")
    return rma


def _back(rma: RMA) -> HttpResponse:
    return redirect("rmas:detail", rma_id=rma.pk)


def _form_page(
    request: AuthenticatedHttpRequest, rma: RMA, action: RMAAction, form: Form, template: str
) -> HttpResponse:
    context = {"title": f"{action.label} — {rma.number}", "rma": rma, "action": action, "form": form,
               "reason": rma_why_not(rma, action)}  # fmt: skip
    return render(request, template, context)


# --- Create RMA (an order action) ----------------------------------------------------------------


@login_required
def rma_create(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Create RMA: the ticked items of a shipped order, their quantities and reasons."""
    order = order_for_user_or_404(request.user, order_id)
    if not user_can(request.user, Permission.MANAGE_RMAS, order.company):
        raise PermissionDenied(f"You do not have the permission to Create RMA in {order.company}.")
    items = list(order.items.select_related("order"))
    reasons = [reason.name for reason in return_reasons(order.company)]
    form = CreateRMAForm(request.POST or None, items=items, reasons=reasons)
    created: list[RMA] = []

    def call() -> str:
        data = form.cleaned_data
        rma = services.rma_create(
            order=order,
            by=request.user,
            lines=form.lines(),
            reason_for_all=data["reason_for_all"],
            description=data["description"],
            channel_reference=data["channel_reference"],
        )
        created.append(rma)
        return f"{rma.number} created: status Open, Not Received."

    if posted(request, form) and run_step(request, call):
        return _back(created[0])
    returned = returned_quantities(order.pk)
    rows = [(row, shipped_quantity(row[0]), returnable_quantity(row[0], returned)) for row in form.rows()]
    context = {"title": f"Create RMA — order {order.pk}", "order": order, "form": form, "rows": rows,
               "reason": why_not(order, Action.CREATE_RMA)}  # fmt: skip
    return render(request, "orders/rma_create.html", context)


# --- RMA Details and its actions ------------------------------------------------------------------


@login_required
def rma_detail(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    details = rma_details_context(rma_id=rma_id, user=request.user)
    rma = details.rma
    title = f"{rma.number} · Order {rma.order_id}"
    return render(request, "orders/rma_detail.html", {"title": title, "d": details, "rma": rma})


@login_required
def rma_receive(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    """Receive Return: quantities received now and their condition."""
    rma = _rma(request, rma_id, RMAAction.RECEIVE)
    form = ReceiveForm(request.POST or None, rma=rma)

    def call() -> str:
        rma_now = services.rma_receive(rma=rma, by=request.user, receipts=form.receipts())
        return f"Return received: {rma_now.get_received_status_display()}."

    if posted(request, form) and run_step(request, call):
        return _back(rma)
    return _form_page(request, rma, RMAAction.RECEIVE, form, "orders/rma_receive.html")


@login_required
def rma_resolution(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    """Set Resolution of ticked items; Refund then opens Issue Refund, Replace / Exchange say
    which replacement orders were created."""
    rma = _rma(request, rma_id, RMAAction.RESOLVE)
    form = ResolutionForm(request.POST or None, rma=rma)

    def call() -> str:
        data = form.cleaned_data
        created = services.rma_set_resolution(
            rma=rma,
            by=request.user,
            item_ids=data["items"],
            resolution=data["resolution"],
            comment=data["comment"],
            exchange_sku=data["exchange_sku"],
        )
        orders = ", ".join(str(order.pk) for order in created)
        label = Resolution(data["resolution"]).label
        return f"Resolution {label} set." + (f" Replacement order {orders} created." if orders else "")

    if posted(request, form) and run_step(request, call):
        wants_refund = form.cleaned_data["resolution"] == Resolution.REFUND
        if wants_refund and user_can(request.user, Permission.ISSUE_REFUNDS, rma.company):
            return redirect("rmas:refund", rma_id=rma.pk)
        return _back(rma)
    return _form_page(request, rma, RMAAction.RESOLVE, form, "orders/rma_action_form.html")


@login_required
def rma_refund(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    """Issue Refund from an RMA: the one refund service, pre-filled with the items' value."""
    rma = _rma(request, rma_id, RMAAction.REFUND)
    order: Order = rma.order
    if reason := rma_why_not(rma, RMAAction.REFUND) or why_not(order, Action.REFUND):
        messages.error(request, reason)
        return _back(rma)
    initial: dict[str, Any] = {"amount": rma_refund_suggestion(rma), "reference_number": rma.number,
                               "notes": f"Return {rma.number}", "form_token": uuid.uuid4()}  # fmt: skip
    form = RefundForm(request.POST or None, order=order, initial=initial)

    def call() -> str:
        refund = order_services.refund_issue(order=order, by=request.user, rma=rma, **form.cleaned_data)
        return f"Refund of {refund.amount} {refund.currency} recorded from {rma.number}."

    if posted(request, form) and run_step(request, call):
        return _back(rma)
    context = {"title": f"Issue Refund — {rma.number}", "order": order, "rma": rma, "form": form,
               "action": RMAAction.REFUND, "back": reverse("rmas:detail", args=[rma.pk])}  # fmt: skip
    return render(request, "orders/rma_refund.html", context)


def _status_action(
    request: AuthenticatedHttpRequest, rma_id: int, action: RMAAction, call: Callable[[RMA], RMA]
) -> HttpResponse:
    rma = _rma(request, rma_id, action)
    run_step(request, lambda: f"{rma.number} is {call(rma).get_status_display()}.")
    return _back(rma)


@login_required
@require_POST
def rma_hold(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _status_action(
        request, rma_id, RMAAction.HOLD, lambda r: services.rma_hold(rma=r, by=request.user, note=note)
    )


@login_required
@require_POST
def rma_release(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    return _status_action(request, rma_id, RMAAction.RELEASE, lambda r: services.rma_release(rma=r, by=request.user))


@login_required
@require_POST
def rma_close(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    return _status_action(request, rma_id, RMAAction.CLOSE, lambda r: services.rma_close(rma=r, by=request.user))


@login_required
@require_POST
def rma_cancel(request: AuthenticatedHttpRequest, rma_id: int) -> HttpResponse:
    return _status_action(request, rma_id, RMAAction.CANCEL, lambda r: services.rma_cancel(rma=r, by=request.user))
