"""Orders and everything that happens to them (SPEC S4).

Money is Decimal with the order's currency; datetimes are aware and stored in UTC. Rules about
what an order allows live in orders.rules; Payment Status is computed by orders.payments.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sellercloud.fields import BulkJSONField
from sellercloud.models import Company

from ..choices import (
    Channel,
    EventKind,
    HoldSource,
    OrderStatus,
    PaymentState,
    PaymentStatus,
    RefundMethod,
    ShippingStatus,
    UploadStatus,
)
from ..deadlines import TO_SHIP
from ..links import http_url_or_empty, validate_http_url
from ..text import search_text

ZERO = Decimal("0.00")


def money(verbose_name: str = "", **kwargs: Any) -> models.DecimalField:
    """A money column: 12 digits, 2 decimals, Decimal in Python (never float)."""
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name or None, max_digits=12, decimal_places=2, **kwargs)


class Order(models.Model):
    """One order from one channel. Order ID (shown to users) is the primary key."""

    Status = OrderStatus

    # No index of their own on the two keys: order_company_date_idx and the uniqueness constraint
    # start with them and serve every lookup by company or account. Each index is written for
    # every downloaded order, and with the account's own index the planner, on statistics from
    # before a large download, read all the account's orders to find a page's 100 (SPEC S11).
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="orders", db_index=False)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    channel_account = models.ForeignKey(
        "channels.CdiscountAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="orders",
        help_text="The marketplace account the order came through (none for manual channels).",
    )
    channel_order_id = models.CharField("Channel Order ID", max_length=64)
    order_date = models.DateTimeField()
    channel_updated_at = models.DateTimeField("Last update on the channel", null=True, blank=True)

    status = models.CharField(
        "Order Status", max_length=20, choices=OrderStatus.choices, default=OrderStatus.IN_PROCESS
    )
    status_before_hold = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    hold_reason = models.CharField(max_length=255, blank=True)
    hold_source = models.CharField(max_length=10, choices=HoldSource.choices, blank=True)
    # Which customer cancellation request a channel hold stands for, and the last one a user
    # released: a download never sets a hold again for a request already released (SPEC S5).
    hold_channel_request = models.CharField(max_length=255, blank=True)
    released_channel_request = models.CharField(max_length=255, blank=True)

    payment_status = models.CharField(
        "Payment Status", max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.NO_PAYMENT
    )
    shipping_status = models.CharField(
        "Shipping Status", max_length=20, choices=ShippingStatus.choices, default=ShippingStatus.UNSHIPPED
    )
    channel_status = models.CharField(
        max_length=40, blank=True, help_text="The marketplace's own word, e.g. InPreparation."
    )
    ship_by = models.DateTimeField("Ship By", null=True, blank=True)
    ship_confirmed_at = models.DateTimeField("Ship Confirmed", null=True, blank=True)

    customer_reference = models.CharField(max_length=100, blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    # The name as search compares it (orders.text.search_text): set by save() and by the bulk
    # writers (the download's create and update, seed_orders), never typed.
    search_name = models.CharField(max_length=200, blank=True, editable=False)
    # Cdiscount gives neither; other channels do.
    customer_email = models.EmailField(blank=True)
    # A business buyer (Cdiscount's businessOrder) and its VAT number: their invoices carry the
    # B2B mentions (SPEC S9).
    business_order = models.BooleanField(default=False)
    buyer_vat_number = models.CharField("Buyer VAT number", max_length=30, blank=True)
    customer_phone = models.CharField(max_length=40, blank=True)
    # Addresses as {civility, first_name, last_name, company, line1, line2, line3, postal_code,
    # city, region, country_code}; see orders.services.ADDRESS_FIELDS.
    billing_address = BulkJSONField(default=dict, blank=True)
    shipping_address = BulkJSONField(default=dict, blank=True)
    shipping_address_edited_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a user edits it: downloads then leave it alone."
    )
    delivery_mode = models.CharField(max_length=100, blank=True)
    # A replacement order (RMA resolution Replace / Exchange) points to the order it replaces.
    replacement_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replacements"
    )

    currency = models.CharField(max_length=3, default="EUR")
    subtotal = money("Subtotal")
    shipping_total = money("Shipping")
    grand_total = money("Grand Total")
    commission_with_vat = money("Channel commission (incl. VAT)")
    commission_without_vat = money("Channel commission (excl. VAT)")

    # The hash of the last channel payload applied: a download that sees the same payload again
    # knows at once that nothing changed (SPEC S11: a re-download costs little more than a fetch).
    channel_payload_sha256 = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-order_date", "-id"]
        constraints = [
            # The uniqueness key of every download (SPEC S5): one order per marketplace order.
            models.UniqueConstraint(
                fields=["channel_account", "channel_order_id"],
                name="order_unique_account_channel_order_id",
            ),
            models.CheckConstraint(condition=Q(grand_total__gte=0), name="order_grand_total_not_negative"),
        ]
        indexes = [
            # Manage Orders: newest first, filtered by channel / company / statuses.
            models.Index(fields=["-order_date", "-id"], name="order_date_idx"),
            models.Index(fields=["channel", "-order_date", "-id"], name="order_channel_date_idx"),
            models.Index(fields=["company", "-order_date", "-id"], name="order_company_date_idx"),
            # A member of one company filtering by channel (the common case): a deep page is then
            # read from the index alone; with order_company_date_idx every skipped row was fetched
            # from the table to test its channel (page 2,000: 490 ms against 20 ms, issue 25).
            models.Index(fields=["company", "channel", "-order_date", "-id"], name="order_company_channel_date_idx"),
            models.Index(fields=["status", "-order_date"], name="order_status_date_idx"),
            models.Index(fields=["payment_status", "-order_date"], name="order_payment_date_idx"),
            models.Index(fields=["shipping_status", "-order_date"], name="order_shipping_date_idx"),
            # Exact search on the channel order id across accounts.
            models.Index(fields=["channel_order_id"], name="order_channel_order_id_idx"),
            models.Index(fields=["customer_reference"], name="order_customer_ref_idx"),
            models.Index(fields=["ship_by"], name="order_ship_by_idx"),
            # Invoice upload (issue 21) looks for an account's orders Ship Confirmed since a date.
            models.Index(
                fields=["channel_account", "ship_confirmed_at"],
                condition=Q(ship_confirmed_at__isnull=False),
                name="order_ship_confirmed_idx",
            ),
            # The dashboard (issue 23): orders per day by channel and status, read from the index
            # alone; and the orders still to ship by Ship By (orders.deadlines.TO_SHIP), a small
            # part of all orders, for the late and due-today counts.
            models.Index(fields=["company", "order_date"], include=["channel", "status"], name="order_dashboard_idx"),
            models.Index(
                fields=["company", "ship_by"],
                name="order_to_ship_idx",
                condition=TO_SHIP,
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.get_channel_display()} {self.channel_order_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = search_text(self.customer_name)
        fields = kwargs.get("update_fields")
        if fields is not None and "customer_name" in fields:
            kwargs["update_fields"] = [*fields, "search_name"]
        super().save(*args, **kwargs)

    @property
    def is_cdiscount(self) -> bool:
        return self.channel == Channel.CDISCOUNT


class OrderItem(models.Model):
    """One order line. SKU is the seller's product id; prices include VAT."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    channel_line_id = models.CharField(max_length=64, blank=True)
    sku = models.CharField("SKU", max_length=100, db_index=True)
    channel_product_id = models.CharField(max_length=100, blank=True)
    ean = models.CharField("EAN", max_length=20, blank=True)
    title = models.CharField(max_length=500, blank=True)
    condition = models.CharField(max_length=40, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = money("Unit price")
    shipping = money("Shipping")
    # Taken off the line's amount (orders.totals): a replacement order's lines are free.
    discount = money("Discount")
    commission_with_vat = money("Commission (incl. VAT)")
    commission_without_vat = money("Commission (excl. VAT)")
    channel_line_status = models.CharField(max_length=40, blank=True)
    # Set by the channel from its own line statuses: a cancelled line stays listed but leaves the
    # order's totals (SPEC S5, orders.totals).
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "channel_line_id"],
                condition=~Q(channel_line_id=""),
                name="orderitem_unique_channel_line",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Payment(models.Model):
    """Money applied to an order. The Cdiscount payment has a fixed reference so it is added once."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    operation_type = models.CharField(max_length=50, help_text='The payment method applied, e.g. "Cdiscount".')
    method = models.CharField(max_length=50, blank=True, help_text="The channel's word, e.g. Card.")
    state = models.CharField(max_length=12, choices=PaymentState.choices, default=PaymentState.CHARGED)
    amount = money("Amount")
    currency = models.CharField(max_length=3, default="EUR")
    paid_at = models.DateTimeField()
    reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_at", "id"]
        constraints = [
            # The channel payment is keyed by its reference: a download can never add it twice.
            models.UniqueConstraint(
                fields=["order", "operation_type", "reference"],
                condition=~Q(reference=""),
                name="payment_unique_reference",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.operation_type} {self.amount} {self.currency}"


class Refund(models.Model):
    """A refund (SPEC S8): issued by a user (Issue Refund; for Cdiscount the money is refunded on the
    seller portal), or recorded from the channel when it cancelled what was paid (SPEC S5)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = money("Amount To Refund")
    currency = models.CharField(max_length=3, default="EUR")
    refund_date = models.DateField()
    notes = models.TextField()
    refund_method = models.CharField(max_length=20, choices=RefundMethod.choices, blank=True)
    reference_number = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # One per rendered form: the same form posted twice makes one refund (SPEC S8).
    form_token = models.UUIDField(unique=True)
    # A refund made by the channel: its name (e.g. "Cdiscount"), and what it refunds (a channel
    # line id, or "order" for the whole order), so that it is recorded once.
    source = models.CharField(max_length=40, blank=True)
    channel_key = models.CharField(max_length=100, blank=True)
    # The return it refunds, when issued from an RMA (at most what the RMA's items are worth).
    rma = models.ForeignKey("orders.RMA", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["order", "channel_key"], condition=~Q(channel_key=""), name="refund_unique_channel_key"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} of order {self.order_id}"


class Package(models.Model):
    """A parcel that left (or is to leave) with a tracking number, and its upload to the channel."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="packages")
    carrier = models.CharField(max_length=100)
    service = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=50)
    # http(s) only, whoever sets it (orders.links): the page links it.
    tracking_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    ship_date = models.DateField()
    shipping_cost = money("Shipping cost")
    upload_status = models.CharField(max_length=20, choices=UploadStatus.choices, default=UploadStatus.PENDING)
    upload_attempts = models.PositiveIntegerField(default=0)
    upload_error = models.TextField(blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    # An upload run claims a package before posting it, so two runs never post it both.
    upload_claimed_at = models.DateTimeField(null=True, blank=True)
    next_upload_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # Set when the package stands for the marketplace's own parcel (e.g. "Cdiscount"): it was
    # never uploaded by us, whatever its upload status says.
    source = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["upload_status", "next_upload_at"], name="package_upload_idx")]
        constraints = [models.CheckConstraint(condition=Q(shipping_cost__gte=0), name="package_cost_not_negative")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"

    @property
    def tracking_link(self) -> str:
        """The URL pages link the tracking number to: "" unless http(s), whatever was stored
        before URLs were checked (a `javascript:` URL must never become a live link)."""
        return http_url_or_empty(self.tracking_url)


class OrderEvent(models.Model):
    """The order's history and notes: every change, by whom (a user or a channel), and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=40, blank=True, help_text='Who acted when no user did, e.g. "Cdiscount".')
    message = models.TextField()
    data = BulkJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "-created_at"], name="orderevent_order_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"

    @property
    def actor(self) -> str:
        if self.user_id and (user := self.user) is not None:
            return user.display_name
        return self.source or "System"


class BulkActionFavorite(models.Model):
    """A Manage Orders bulk action a user starred: it stays on top of their Actions menu."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_favorites")
    action = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "action"], name="bulkfavorite_unique_user_action")]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.action}"


class ChannelPayload(models.Model):
    """Every distinct version of an order that the marketplace sent (kept once per hash).

    Orders owns it (Order Details shows and compares the versions); channels writes it. The
    table kept its first name when the model moved from channels.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payloads")
    raw = BulkJSONField()
    sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "channels_channelpayload"
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["order", "sha256"], name="channelpayload_unique_version")]

    def __str__(self) -> str:
        return f"Payload {self.sha256[:10]} of order {self.order_id}"
