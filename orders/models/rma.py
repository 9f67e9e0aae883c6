"""Returns (SPEC S4, wave 2): the RMA of an order, its items, the company's return reasons and
the per-company sequence of RMA numbers."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from sellercloud.models import Company

from ..rma_choices import ItemCondition, ReceivedStatus, Resolution, RMAStatus
from .orders import Order, OrderItem


class ReturnReason(models.Model):
    """A reason a customer returns an item: the company's list (Company Settings > Toolbox >
    Return Settings), seeded with orders.rma_choices.DEFAULT_RETURN_REASONS."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="return_reasons")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False, help_text="No longer offered on Create RMA.")

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="returnreason_unique_name")]

    def __str__(self) -> str:
        return self.name


class RMASequence(models.Model):
    """The next RMA number of one company, read and moved under a row lock (no two RMAs share one)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="rma_sequence")
    next_number = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.company}: next RMA {self.next_number}"


class RMA(models.Model):
    """A return merchandise authorization: goods of a shipped order coming back.

    Its status (Open, On Hold, Closed, Cancelled) and its received status (Not Received,
    Partially Received, Received) are kept apart, as Sellercloud does.
    """

    Status = RMAStatus

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="rmas")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="rmas")
    number = models.CharField("RMA #", max_length=20)
    status = models.CharField("RMA Status", max_length=12, choices=RMAStatus.choices, default=RMAStatus.OPEN)
    status_before_hold = models.CharField(max_length=12, choices=RMAStatus.choices, blank=True)
    received_status = models.CharField(
        "Received Status", max_length=20, choices=ReceivedStatus.choices, default=ReceivedStatus.NOT_RECEIVED
    )
    channel_reference = models.CharField("Channel Return Reference", max_length=100, blank=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "RMA"
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="rma_unique_company_number")]
        indexes = [
            # Manage RMAs: newest first, by company or status.
            models.Index(fields=["-created_at", "-id"], name="rma_created_idx"),
            models.Index(fields=["company", "-created_at", "-id"], name="rma_company_created_idx"),
            models.Index(fields=["status", "-created_at"], name="rma_status_created_idx"),
            models.Index(fields=["number"], name="rma_number_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class RMAItem(models.Model):
    """One returned line: how many are expected back, why, how many came back in what condition,
    and what is done about it (the resolution)."""

    rma = models.ForeignKey(RMA, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="rma_items")
    quantity = models.PositiveIntegerField("Qty to Return")
    reason = models.CharField(max_length=100)
    received_quantity = models.PositiveIntegerField("Qty Received", default=0)
    condition = models.CharField(max_length=20, choices=ItemCondition.choices, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, default=Resolution.NOT_DECIDED)
    comment = models.TextField(blank=True)
    exchange_sku = models.CharField("Exchange SKU", max_length=100, blank=True)
    # The order that sends the goods again (Replace, Exchange); it links back to the original.
    replacement_order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_rma_items"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = "RMA item"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="rmaitem_quantity_positive"),
            # The database's last word: received never exceeds expected (SPEC, issue 22).
            models.CheckConstraint(
                condition=Q(received_quantity__lte=F("quantity")), name="rmaitem_received_not_above_expected"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_item.sku} ({self.rma})"
