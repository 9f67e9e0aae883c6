"""The Order Details actions (SPEC S7, S8): one small view per action.

Each one finds the order in the user's companies (404 otherwise), checks the action's permission
in the order's company (403), parses its form, calls one service and reports the outcome with a
message at the top of the page. Rules are never checked here: the services check them (through
orders.rules) and raise OrderRuleError with a sentence a user can read. Actions that need input
answer GET with their form page and POST with the action; on an error the form is shown again,
with what was typed, under the message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.models import User
from sellercloud.permissions import user_can

from .. import holds, services
from ..actions import order_action
from ..channel_registry import ChannelAction, adapter_for, channel_action
from ..choices import OrderStatus, PaymentStatus
from ..forms import AddressForm, NoteForm, ReasonForm, RefundForm, ReleaseHoldForm, ShipForm
from ..models import Order, Package
from ..rules import Action, OrderRuleError, why_not
from ..selectors import order_for_user_or_404
from ..view_steps import posted, run_step

# --- Helpers ----------------------------------------------------------------------------------


def _order(request: AuthenticatedHttpRequest, order_id: int, action: Action) -> Order:
    """The order (404 outside the user's companies) once the user may do `action` there (403)."""
    order = order_for_user_or_404(request.user, order_id)
    if not user_can(request.user, order_action(action).permission, order.company):
        raise PermissionDenied(f"You do not have the permission to {action.label} in {order.company}.")
    return order


def _back(order: Order) -> HttpResponse:
    return redirect("orders:detail", order_id=order.pk)


def _form_page(
    request: AuthenticatedHttpRequest,
    order: Order,
    action: Action,
    form: Form,
    template: str = "orders/order_action_form.html",
) -> HttpResponse:
    context: dict[str, Any] = {
        "title": f"{action.label} — order {order.pk}",
        "order": order,
        "action": action,
        "form": form,
        "reason": why_not(order, action),
        "channel_note": adapter_for(order).form_note(order, action.value),
    }
    return render(request, template, context)


def _user(request: AuthenticatedHttpRequest) -> User:
    return request.user


# --- Actions with a form ----------------------------------------------------------------------


@login_required
def order_cancel(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Set Cancelled Internally, with a reason."""
    order = _order(request, order_id, Action.CANCEL)
    form = ReasonForm(request.POST or None)

    def call() -> str:
        services.order_cancel_internally(order=order, by=_user(request), reason=form.cleaned_data["reason"])
        note = adapter_for(order).cancel_note(order)
        return "Order set Cancelled Internally." + (f" {note}" if note else "")

    if posted(request, form) and run_step(request, call):
        return _back(order)
    return _form_page(request, order, Action.CANCEL, form)


@login_required
def order_refund(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Issue Refund: its own page, with a one-time form token against double posts."""
    order = _order(request, order_id, Action.REFUND)
    if reason := why_not(order, Action.REFUND):  # hidden in the menu; a direct request is refused
        messages.error(request, reason)
        return _back(order)
    form = RefundForm(request.POST or None, order=order)

    def call() -> str:
        refund = services.refund_issue(order=order, by=_user(request), **form.cleaned_data)
        status = PaymentStatus(Order.objects.values_list("payment_status", flat=True).get(pk=order.pk)).label
        text = f"Refund of {refund.amount} {refund.currency} recorded. Payment Status: {status}."
        note = adapter_for(order).refund_note(order)
        return text + (f" {note}" if note else "")

    if posted(request, form) and run_step(request, call):
        return _back(order)
    return _form_page(request, order, Action.REFUND, form, "orders/refund_form.html")


@login_required
def order_ship(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Ship Order: add one package with its tracking."""
    order = _order(request, order_id, Action.SHIP)
    mappings = order.channel_account.carrier_mappings.all() if order.channel_account else []
    templates = {m.carrier: m.tracking_url_template for m in mappings if m.tracking_url_template}
    form = ShipForm(request.POST or None, order=order, templates=templates)

    def call() -> str:
        package = services.order_ship(order=order, by=_user(request), **form.cleaned_data)
        return (
            f"Shipped with {package.carrier} {package.tracking_number} (upload: {package.get_upload_status_display()})."
        )

    if posted(request, form) and run_step(request, call):
        return _back(order)
    return _form_page(request, order, Action.SHIP, form, "orders/ship_form.html")


@login_required
def order_hold(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Set On Hold, with a reason."""
    order = _order(request, order_id, Action.HOLD)
    form = ReasonForm(request.POST or None)

    def call() -> str:
        if not holds.order_hold(order=order, by=_user(request), reason=form.cleaned_data["reason"]):
            order.refresh_from_db(fields=["status"])  # On Hold meanwhile: rules.why_not says so
            raise OrderRuleError(str(why_not(order, Action.HOLD)))
        return "Order set On Hold."

    if posted(request, form) and run_step(request, call):
        return _back(order)
    return _form_page(request, order, Action.HOLD, form)


@login_required
def order_resolve_problem(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Resolve Problem: back to In Process, with a note saying what was done."""
    order = _order(request, order_id, Action.RESOLVE_PROBLEM)
    form = NoteForm(request.POST or None)

    def call() -> str:
        services.order_resolve_problem(order=order, by=_user(request), note=form.cleaned_data["text"])
        return "Problem resolved: the order is In Process."

    if posted(request, form) and run_step(request, call):
        return _back(order)
    return _form_page(request, order, Action.RESOLVE_PROBLEM, form)


@login_required
def order_add_note(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Add Note: a line in Notes and History."""
    order = _order(request, order_id, Action.ADD_NOTE)
    form = NoteForm(request.POST or None)

    def call() -> str:
        services.order_add_note(order=order, by=_user(request), text=form.cleaned_data["text"])
        return "Note added."

    if posted(request, form) and run_step(request, call):
        return _back(order)
    return _form_page(request, order, Action.ADD_NOTE, form)


@login_required
def order_edit_address(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Edit Shipping Address, until the order ships."""
    order = _order(request, order_id, Action.EDIT_ADDRESS)
    form = AddressForm(request.POST or None, initial=order.shipping_address)

    def call() -> str:
        services.order_update_shipping_address(order=order, by=_user(request), address=form.address())
        return "Shipping address saved. Later downloads will not overwrite it."

    if posted(request, form) and run_step(request, call):
        return _back(order)
    return _form_page(request, order, Action.EDIT_ADDRESS, form)


# --- Actions without input (posted from the menu) ---------------------------------------------


@login_required
@require_POST
def order_release_hold(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Release Hold: the status before the hold comes back (the one hold service records it)."""
    order = _order(request, order_id, Action.RELEASE_HOLD)
    form = ReleaseHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was changed: " + " ".join(map(str, form.errors["note"])))
        return _back(order)

    def call() -> str:
        if not holds.order_release_hold(order=order, by=_user(request), note=form.cleaned_data["note"]):
            raise OrderRuleError(why_not(order, Action.RELEASE_HOLD) or "The order is not On Hold.")
        status = Order.objects.values_list("status", flat=True).get(pk=order.pk)
        return f"Hold released: the order is {OrderStatus(status).label}."

    run_step(request, call)
    return _back(order)


# --- The channel's own actions (orders.channel_registry) ---------------------------------------


def _channel_run(
    request: AuthenticatedHttpRequest, order: Order, action: ChannelAction, package: Package | None = None
) -> HttpResponse:
    """Show the action's form (when it has one), else run it and report how it ended."""
    if not user_can(request.user, action.permission, order.company):
        raise PermissionDenied(f"You do not have the permission to {action.label} in {order.company}.")
    form = action.form(request.POST or None) if action.form else None
    if form is not None and not posted(request, form):
        context = {"title": f"{action.label} — order {order.pk}", "order": order, "action": action, "form": form,
                   "reason": action.why_not(order, package)}  # fmt: skip
        return render(request, "orders/order_action_form.html", context)
    if request.method != "POST":
        return _back(order)
    try:  # run() checks again under its lock: the page may be stale
        data = form.cleaned_data if form is not None else {}
        result = action.run(order=order, package=package, by=_user(request), data=data)
    except OrderRuleError as exc:
        messages.error(request, str(exc))
    else:
        getattr(messages, result.level)(request, result.message)
    return _back(order)


@login_required
def order_channel_action(request: AuthenticatedHttpRequest, order_id: int, key: str) -> HttpResponse:
    """An action the order's channel offers (Accept Order, Refuse Order on Cdiscount)."""
    order = order_for_user_or_404(request.user, order_id)
    action = channel_action(order, key, on="order")
    if action is None:
        raise Http404("This channel offers no such action.")
    return _channel_run(request, order, action)


@login_required
@require_POST
def package_channel_action(request: AuthenticatedHttpRequest, order_id: int, package_id: int, key: str) -> HttpResponse:
    """An action the order's channel offers on a package (Retry upload, Upload to Cdiscount)."""
    order = order_for_user_or_404(request.user, order_id)
    action = channel_action(order, key, on="package")
    if action is None:
        raise Http404("This channel offers no such action.")
    package = get_object_or_404(Package.objects.select_related("order"), pk=package_id, order=order)
    return _channel_run(request, order, action, package)
