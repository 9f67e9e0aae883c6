"""The order actions of Order Details, each declared once (SPEC S7).

One OrderAction per action says what the Actions menu, the action's view and the tests need:
the label (the Action's), the permission of SPEC S3, the URL name of its endpoint, the question
asked before a direct POST (an action without a form), and whether it is hidden while the order
refuses it. Why the order refuses it comes from orders.rules.why_not, the one place for rules.

To add an action: a value in orders.rules.Action, its branch in why_not, a line here, its URL
and its view. The channel's own actions (Accept / Refuse, uploads) are declared by the channel
(orders.channel_registry) and come after Ship Order in the menu.
"""

from __future__ import annotations

from dataclasses import dataclass

from sellercloud.permissions import Permission

from .rules import Action


@dataclass(frozen=True)
class OrderAction:
    """How one order action appears and who may run it."""

    action: Action
    permission: Permission
    url_name: str
    confirm: str = ""  # set: posted straight from the menu after this question (no form page)
    hidden_unless_allowed: bool = False  # absent from the menu while the order refuses it
    # What to do instead: while the order refuses this action, its reason links these (when allowed).
    instead: tuple[Action, ...] = ()

    @property
    def label(self) -> str:
        return str(self.action.label)


P = Permission
# In the menu's order (SPEC S7).
ORDER_ACTIONS: tuple[OrderAction, ...] = (
    OrderAction(Action.CANCEL, P.CANCEL_ORDERS, "orders:cancel", instead=(Action.CREATE_RMA, Action.REFUND)),
    # Issue Refund is offered once a payment exists, as Sellercloud does.
    OrderAction(Action.REFUND, P.ISSUE_REFUNDS, "orders:refund", hidden_unless_allowed=True),
    OrderAction(Action.SHIP, P.PROCESS_ORDERS, "orders:ship"),
    OrderAction(Action.HOLD, P.PROCESS_ORDERS, "orders:hold"),
    OrderAction(
        Action.RELEASE_HOLD,
        P.PROCESS_ORDERS,
        "orders:release_hold",
        confirm="Release the hold? The order goes back to its status before the hold.",
    ),
    OrderAction(Action.RESOLVE_PROBLEM, P.PROCESS_ORDERS, "orders:resolve_problem"),
    OrderAction(Action.ADD_NOTE, P.PROCESS_ORDERS, "orders:add_note"),
    OrderAction(Action.EDIT_ADDRESS, P.PROCESS_ORDERS, "orders:edit_address"),
    OrderAction(Action.CREATE_RMA, P.MANAGE_RMAS, "orders:create_rma"),
)
# The channel's order actions are listed right after this one.
CHANNEL_ACTIONS_AFTER = Action.SHIP

_BY_ACTION = {declared.action: declared for declared in ORDER_ACTIONS}


def order_action(action: Action) -> OrderAction:
    """The declaration of `action`."""
    return _BY_ACTION[action]
