"""Status words (Sellercloud's, SPEC S4) with their groupings beside them."""

from django.db import models


class Channel(models.TextChoices):
    """Where an order came from."""

    CDISCOUNT = "cdiscount", "Cdiscount"
    AMAZON = "amazon", "Amazon"
    EBAY = "ebay", "eBay"
    WALMART = "walmart", "Walmart"
    BIGCOMMERCE = "bigcommerce", "BigCommerce"
    WEBSITE = "website", "Website"
    LOCAL = "local", "Local Store"


class OrderStatus(models.TextChoices):
    """Order Status. Sellercloud also has Shopping Cart, Quote and Void, which we never create."""

    IN_PROCESS = "in_process", "In Process"
    ON_HOLD = "on_hold", "On Hold"
    PROBLEM = "problem", "Problem Order"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"


# Orders staff still have to act on.
OPEN_STATUSES = frozenset({OrderStatus.IN_PROCESS, OrderStatus.ON_HOLD, OrderStatus.PROBLEM})
# Nothing more leaves the warehouse for these.
CLOSED_STATUSES = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELED})


class PaymentStatus(models.TextChoices):
    """Payment Status: derived from Payment and Refund rows (orders.payments), never set by hand."""

    NO_PAYMENT = "no_payment", "No Payment"
    AUTHORIZED = "authorized", "Authorized"
    CHARGED = "charged", "Charged"
    PARTIAL_PAYMENT = "partial_payment", "Partial Payment"
    PARTIAL_REFUND = "partial_refund", "Partial Refund"
    FULL_REFUND = "full_refund", "Full Refund"
    PAYMENT_ERROR = "payment_error", "Payment Error"


# Money came in (possibly refunded since): these orders count as paid for shipping.
PAID_STATUSES = frozenset({PaymentStatus.CHARGED, PaymentStatus.PARTIAL_REFUND, PaymentStatus.FULL_REFUND})


class ShippingStatus(models.TextChoices):
    """Our own record of whether the goods left (not the marketplace's: see Ship Confirmed)."""

    UNSHIPPED = "unshipped", "Unshipped"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially Shipped"
    FULLY_SHIPPED = "fully_shipped", "Fully Shipped"


class PaymentState(models.TextChoices):
    """The state of one Payment row."""

    AUTHORIZED = "authorized", "Authorized"
    CHARGED = "charged", "Charged"
    ERROR = "error", "Error"


class RefundMethod(models.TextChoices):
    ORIGINAL = "original", "Original payment method"
    STORE_CREDIT = "store_credit", "Store credit"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CHECK = "check", "Check"
    OTHER = "other", "Other"


class UploadStatus(models.TextChoices):
    """Whether a package's tracking has reached the marketplace."""

    PENDING = "pending", "Pending"
    UPLOADED = "uploaded", "Uploaded"
    FAILED = "failed", "Failed"
    NOT_REQUIRED = "not_required", "Not Required"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A package in one of these still stands for goods that left: it blocks a second package on a
# Cdiscount order (one parcel per order).
LIVE_UPLOAD_STATUSES = frozenset(
    {UploadStatus.PENDING, UploadStatus.UPLOADED, UploadStatus.FAILED, UploadStatus.NOT_REQUIRED}
)


class HoldSource(models.TextChoices):
    """Who set a hold: a user, or the download for a customer cancellation request (SPEC S5)."""

    USER = "user", "User"
    CHANNEL = "channel", "Channel cancellation request"


class EventKind(models.TextChoices):
    """What an OrderEvent records."""

    CREATED = "created", "Created"
    CHANNEL = "channel", "Channel update"
    STATUS = "status", "Status change"
    NOTE = "note", "Note"
    HOLD = "hold", "Hold"
    RELEASE = "release", "Hold released"
    CANCEL = "cancel", "Cancelled"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    SHIPMENT = "shipment", "Shipment"
    UPLOAD = "upload", "Tracking upload"
    ACCEPTANCE = "acceptance", "Acceptance"
    ADDRESS = "address", "Address"
    PROBLEM = "problem", "Problem"
    INVOICE = "invoice", "Invoice"
    RMA = "rma", "RMA"
    REPLACEMENT = "replacement", "Replacement"
