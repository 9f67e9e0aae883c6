"""Order actions that a higher layer adds to Order Details' Actions menu (STYLE 3.4).

orders sits below invoices and never imports it, yet Print Invoice belongs in the order's
Actions menu. So the app that owns such an action registers it here in its AppConfig.ready(),
and the menu (orders.selectors) lists it after the order's own actions:

    # invoices/apps.py
    def ready(self):
        register_order_action(RegisteredOrderAction(key="print_invoice", label="Print Invoice", ...))

The action's own view (in its app) does the work; this module only says how the menu shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

from sellercloud.permissions import Permission

if TYPE_CHECKING:
    from .models import Order


@dataclass(frozen=True)
class RegisteredOrderAction:
    """One action of another app on an order: its label, who may run it, where it posts (a URL
    name reversed with the order id), and why the order refuses it now (None when it does not).

    `annotations` returns the expressions `why_not` reads from the order (e.g. whether it has an
    invoice): Order Details annotates its one order query with them, so the menu costs no query
    of its own (SPEC S11: a constant number per page).
    """

    key: str
    label: str
    permission: Permission
    url_name: str
    why_not: Callable[[Order], str | None]
    _: KW_ONLY
    position: int
    method: str = "post"
    confirm: str = ""
    annotations: Callable[[], dict[str, Any]] | None = None


_ACTIONS: dict[str, RegisteredOrderAction] = {}


def register_order_action(action: RegisteredOrderAction) -> None:
    """List `action` in Order Details' Actions menu (a second ready() replaces it, keyed by key)."""
    _ACTIONS[action.key] = action


def unregister_order_action(key: str) -> None:
    """Take an action out again (tests)."""
    _ACTIONS.pop(key, None)


def registered_order_actions() -> list[RegisteredOrderAction]:
    """The registered actions, in position order."""
    return sorted(_ACTIONS.values(), key=lambda action: action.position)


def registered_annotations() -> dict[str, Any]:
    """Every registered action's annotations, for the Order Details query."""
    merged: dict[str, Any] = {}
    for action in _ACTIONS.values():
        if action.annotations is not None:
            merged.update(action.annotations())
    return merged
