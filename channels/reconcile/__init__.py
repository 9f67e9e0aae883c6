"""Reconciliation (issue 23): a run kind of channels.runs that compares our orders with Cdiscount's
over a period and lists each difference with its fix. It only reads the marketplace."""

from .compare import still_open
from .services import (
    RECONCILE,
    drift_counts,
    latest_reconciliation,
    open_drifts,
    reconcile_nightly_accounts,
    reconcile_run_now,
    reconcile_run_queued,
)

__all__ = [
    "RECONCILE",
    "drift_counts",
    "latest_reconciliation",
    "open_drifts",
    "reconcile_nightly_accounts",
    "reconcile_run_now",
    "reconcile_run_queued",
    "still_open",
]
