"""The RMA's words (SPEC S4, Sellercloud's): its status, its received status kept apart, an
item's condition and resolution, and the return reasons a new company starts with."""

from django.db import models


class RMAStatus(models.TextChoices):
    OPEN = "open", "Open"
    ON_HOLD = "on_hold", "On Hold"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Nothing more happens to these.
FINISHED_RMA_STATUSES = frozenset({RMAStatus.CLOSED, RMAStatus.CANCELLED})


class ReceivedStatus(models.TextChoices):
    """Derived from the items' received quantities (orders.rma.services keeps it in step)."""

    NOT_RECEIVED = "not_received", "Not Received"
    PARTIALLY_RECEIVED = "partially_received", "Partially Received"
    RECEIVED = "received", "Received"


class ItemCondition(models.TextChoices):
    SELLABLE = "sellable", "Sellable"
    DAMAGED = "damaged", "Damaged"
    MISSING_PARTS = "missing_parts", "Missing Parts"


class Resolution(models.TextChoices):
    """Sellercloud's RMA item return resolution types."""

    NOT_DECIDED = "not_decided", "Not Decided"
    REFUND = "refund", "Refund"
    REPLACE = "replace", "Replace"
    EXCHANGE = "exchange", "Exchange"
    REPAIR = "repair", "Repair"
    REJECT = "reject", "Reject"


# These send goods back to the customer: a replacement order is created for them.
REPLACEMENT_RESOLUTIONS = frozenset({Resolution.REPLACE, Resolution.EXCHANGE})

# The reason that also refunds the item's share of shipping (the EU right of withdrawal: the
# standard delivery cost is refunded with the goods).
WITHDRAWAL_REASON = "Withdrawal within 14 days"
DEFAULT_RETURN_REASONS = (
    "Damaged",
    "Wrong item",
    "Not as described",
    "No longer needed",
    WITHDRAWAL_REASON,
    "Other",
)
