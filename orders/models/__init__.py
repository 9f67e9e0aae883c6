"""Orders and everything that happens to them (SPEC S4): the order, its lines, payments, refunds,
packages, history and channel payloads in `orders`; returns in `rma`; Import Tracking's jobs in `tracking_import`."""

from .orders import (
    ZERO,
    BulkActionFavorite,
    ChannelPayload,
    Order,
    OrderEvent,
    OrderItem,
    Package,
    Payment,
    Refund,
    money,
)
from .rma import RMA, ReturnReason, RMAItem, RMASequence
from .tracking_import import TrackingImportJob, TrackingImportRow

__all__ = [
    "ZERO",
    "BulkActionFavorite",
    "ChannelPayload",
    "Order",
    "OrderEvent",
    "OrderItem",
    "Package",
    "Payment",
    "RMA",
    "RMAItem",
    "RMASequence",
    "Refund",
    "ReturnReason",
    "TrackingImportJob",
    "TrackingImportRow",
    "money",
]
