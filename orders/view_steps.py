"""The two steps every order and RMA action view takes on a POST, written once: was a valid form
posted, and run the one service call, its sentence or its refusal becoming the page's message."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.forms import Form

from sellercloud.http import AuthenticatedHttpRequest

from .rules import OrderRuleError


def run_step(request: AuthenticatedHttpRequest, call: Callable[[], str]) -> bool:
    """Run one service call; its success sentence or its OrderRuleError becomes the page's message."""
    try:
        message = call()
    except OrderRuleError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, message)
    return True


def posted(request: AuthenticatedHttpRequest, form: Form) -> bool:
    """True when a POST came with a valid form; an invalid one gets a message above the fields."""
    if request.method != "POST":
        return False
    if form.is_valid():
        return True
    messages.error(request, "Nothing was changed: correct the fields marked below.")
    return False
