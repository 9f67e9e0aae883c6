"""On-commit hooks: how a higher layer reacts to what happens to an order (STYLE 3.4).

orders sits below invoices and channels and never calls them. Where they must react (a refund or
a cancel after invoicing gets a credit note), they register a function here in their
AppConfig.ready(); orders calls it once the change is committed, so a rolled-back change
notifies nobody and a slow reaction holds no row lock. A hook that fails is logged and does not
undo the change it reacts to (it is committed already): make it safe to run again.

    # invoices/apps.py
    def ready(self):
        hooks.on_order_refunded(credit_note_for_refund)   # called with order_id=, refund_id=
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Hook = Callable[..., Any]
_HOOKS: dict[str, list[Hook]] = {"cancelled": [], "refunded": []}


def on_order_cancelled(hook: Hook) -> Hook:
    """Call `hook(order_id=...)` after an order is Cancelled Internally (or refused on the channel)."""
    return _register("cancelled", hook)


def on_order_refunded(hook: Hook) -> Hook:
    """Call `hook(order_id=..., refund_id=...)` after a refund is recorded."""
    return _register("refunded", hook)


def _register(kind: str, hook: Hook) -> Hook:
    # Once: a second ready() (a test building another app registry) must not call it twice.
    if hook not in _HOOKS[kind]:
        _HOOKS[kind].append(hook)
    return hook


def remove(hook: Hook) -> None:
    """Take a hook out again (tests)."""
    for hooks in _HOOKS.values():
        if hook in hooks:
            hooks.remove(hook)


def order_cancelled(*, order_id: int) -> None:
    """Tell the registered hooks, once the current transaction commits, that the order was cancelled."""
    _after_commit("cancelled", order_id=order_id)


def order_refunded(*, order_id: int, refund_id: int) -> None:
    """Tell the registered hooks, once the current transaction commits, that a refund was recorded."""
    _after_commit("refunded", order_id=order_id, refund_id=refund_id)


def _after_commit(kind: str, **ids: int) -> None:
    for hook in list(_HOOKS[kind]):
        transaction.on_commit(partial(_call, hook, kind, ids))


def _call(hook: Hook, kind: str, ids: dict[str, int]) -> None:
    try:
        hook(**ids)
    except Exception:
        logger.exception("event=order_hook_failed kind=%s hook=%s ids=%s", kind, getattr(hook, "__name__", hook), ids)
