"""Channel accounts, their settings audit trail, and the record of every sync run (SPEC S4)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sellercloud.crypto import EncryptedTextField
from sellercloud.models import Company


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    SANDBOX = "sandbox", "Local sandbox"
    CUSTOM = "custom", "Custom URL"


class CdiscountAccount(models.Model):
    """A company's Cdiscount (Octopia Seller API v2) account: one per company (Sellercloud's rule)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="cdiscount_account")
    enabled = models.BooleanField(default=True)

    # Credentials. The secret and the cached token are encrypted at rest and never rendered.
    client_id = models.CharField("Client ID", max_length=200, blank=True)
    client_secret = EncryptedTextField("Client Secret", blank=True)
    seller_id = models.CharField("Seller ID", max_length=40, blank=True)
    sales_channel_id = models.CharField("Sales Channel", max_length=20, default="CDISFR")
    environment = models.CharField(max_length=20, choices=Environment.choices, default=Environment.PRODUCTION)
    custom_api_base_url = models.URLField("Custom API base URL", max_length=300, blank=True)
    custom_token_url = models.URLField("Custom token URL", max_length=300, blank=True)
    access_token = EncryptedTextField(blank=True)
    # What the cached token was obtained with (channels.accounts.credentials_fingerprint).
    token_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    token_received_at = models.DateTimeField("Received On", null=True, blank=True)
    token_expires_at = models.DateTimeField("Expires On", null=True, blank=True)

    # Orders.
    download_enabled = models.BooleanField("Enable Order Download", default=False)
    download_interval_minutes = models.PositiveIntegerField("Download interval (minutes)", default=15)
    next_download_at = models.DateTimeField(null=True, blank=True)
    allow_unpaid_orders = models.BooleanField("Allow UnPaid Order", default=False)
    auto_accept_orders = models.BooleanField("Auto-accept orders", default=False)
    lookback_days = models.PositiveIntegerField("First download look-back (days)", default=30)
    download_watermark = models.DateTimeField(
        null=True, blank=True, help_text="End of the last Completed / Partial Success window."
    )

    # Fulfillment.
    upload_enabled = models.BooleanField("Enable Order Fulfillment Upload", default=False)
    upload_interval_minutes = models.PositiveIntegerField("Upload interval (minutes)", default=5)
    next_upload_at = models.DateTimeField(null=True, blank=True)
    # Issue 21: each invoice of an order Ship Confirmed since it was turned on goes to Cdiscount,
    # on the upload interval. `since` moves at every turn-on: orders shipped while it was off stay.
    invoice_upload_enabled = models.BooleanField("Upload invoices to Cdiscount", default=False)
    invoice_upload_since = models.DateTimeField(
        null=True, blank=True, help_text="When Upload invoices to Cdiscount was last turned on."
    )
    next_invoice_upload_at = models.DateTimeField(null=True, blank=True)

    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Never echoed in the UI, in logs or in the settings audit trail.
    SENSITIVE_FIELDS = ("client_secret", "access_token")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(download_interval_minutes__gte=1), name="cdiscount_download_interval_min_1"
            ),
            models.CheckConstraint(condition=Q(upload_interval_minutes__gte=1), name="cdiscount_upload_interval_min_1"),
            models.CheckConstraint(condition=Q(lookback_days__gte=1), name="cdiscount_lookback_min_1"),
        ]
        indexes = [
            models.Index(
                fields=["next_download_at"], name="cdiscount_next_download_idx", condition=Q(download_enabled=True)
            ),
            models.Index(fields=["next_upload_at"], name="cdiscount_next_upload_idx", condition=Q(upload_enabled=True)),
        ]

    def __str__(self) -> str:
        return f"Cdiscount account of {self.company}"

    @property
    def api_base_url(self) -> str:
        """Where the Seller API lives for this account's environment."""
        if self.environment == Environment.SANDBOX:
            return settings.CDISCOUNT_SANDBOX_URL.rstrip("/") + "/seller/v2"
        if self.environment == Environment.CUSTOM and self.custom_api_base_url:
            return self.custom_api_base_url.rstrip("/")
        return settings.CDISCOUNT_API_BASE_URL

    @property
    def token_url(self) -> str:
        """The OAuth2 token endpoint for this account's environment."""
        path = "/auth/realms/maas/protocol/openid-connect/token"
        if self.environment == Environment.SANDBOX:
            return settings.CDISCOUNT_SANDBOX_URL.rstrip("/") + path
        if self.environment == Environment.CUSTOM and self.custom_token_url:
            return self.custom_token_url
        return settings.CDISCOUNT_TOKEN_URL

    @property
    def has_valid_token(self) -> bool:
        return bool(self.access_token) and self.token_expires_at is not None and self.token_expires_at > timezone.now()


class CarrierMapping(models.Model):
    """Our carrier name -> the name Cdiscount knows (from GET /carriers), with a tracking URL template."""

    account = models.ForeignKey(CdiscountAccount, on_delete=models.CASCADE, related_name="carrier_mappings")
    carrier = models.CharField("Our carrier", max_length=100)
    cdiscount_carrier = models.CharField("Cdiscount carrier", max_length=100)
    tracking_url_template = models.CharField(
        max_length=500,
        blank=True,
        help_text="With {tracking_number}, e.g. https://www.laposte.fr/outils/suivre-vos-envois?code={tracking_number}",
    )

    class Meta:
        ordering = ["carrier"]
        constraints = [models.UniqueConstraint(fields=["account", "carrier"], name="carriermapping_unique_carrier")]

    def __str__(self) -> str:
        return f"{self.carrier} -> {self.cdiscount_carrier}"


class SyncRun(models.Model):
    """One download, upload or token call against the marketplace, with what it did (a queued job)."""

    class Kind(models.TextChoices):
        DOWNLOAD = "download", "Download"
        UPLOAD = "upload", "Upload"
        TOKEN = "token", "Token"
        RECONCILE = "reconcile", "Reconciliation"
        INVOICE_UPLOAD = "invoice_upload", "Invoice upload"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Manual"
        COMMAND = "command", "Command"
        RETRY = "retry", "Retry"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        PARTIAL = "partial", "Partial Success"
        FAILED = "failed", "Failed"

    ACTIVE_STATUSES = frozenset({Status.QUEUED, Status.PROCESSING})
    # The watermark moves only after one of these (SPEC S6).
    SUCCESS_STATUSES = frozenset({Status.COMPLETED, Status.PARTIAL})

    account = models.ForeignKey(CdiscountAccount, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    window_from = models.DateTimeField(null=True, blank=True)
    window_to = models.DateTimeField(null=True, blank=True)
    is_backfill = models.BooleanField(default=False, help_text="Dates given by hand: the watermark never moves.")
    # How far the window reached back before the watermark (SPEC S6); None for a first run, a
    # backfill or one order, which start where they were asked to.
    overlap_minutes = models.PositiveIntegerField(null=True, blank=True)
    channel_order_id = models.CharField(max_length=64, blank=True, help_text="Set for a download of one order.")
    pages = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    uploaded = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0, help_text="Orders a reconciliation compared.")
    api_calls = models.PositiveIntegerField(default=0)
    progress = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    log = models.TextField(blank=True, help_text="What the run did besides orders, e.g. acceptances.")
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["account", "kind", "-queued_at"], name="syncrun_account_kind_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="syncrun_status_heartbeat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} run {self.pk} ({self.get_status_display()})"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class SyncProblem(models.Model):
    """One order a run could not take, with what the marketplace sent; Retry fetches it again."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="problems")
    channel_order_id = models.CharField(max_length=64, blank=True)
    message = models.TextField()
    raw_payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["resolved_at"], name="syncproblem_resolved_idx")]

    def __str__(self) -> str:
        return f"{self.channel_order_id}: {self.message[:60]}"


class Drift(models.Model):
    """One difference a reconciliation found between our order and Cdiscount's (issue 23). It is
    open until its fix ran (`resolved_at`) or our records no longer differ (channels.reconcile)."""

    class Kind(models.TextChoices):
        CANCELLED_THERE = "cancelled_there", "Cancelled on Cdiscount, open here"
        SHIPPED_THERE = "shipped_there", "Shipped on Cdiscount, not Ship Confirmed here"
        NOT_SHIPPED_THERE = "not_shipped_there", "Shipped here, not shipped on Cdiscount"
        MISSING_HERE = "missing_here", "On Cdiscount, missing here"
        TOTALS_DIFFER = "totals_differ", "Totals or lines differ"
        REFUND_NO_REFERENCE = "refund_no_reference", "Refunded here without a Reference Number"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="drifts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel_order_id = models.CharField(max_length=64)
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    package = models.ForeignKey("orders.Package", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    refund = models.ForeignKey("orders.Refund", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=500, help_text="What differs, in words.")
    # Cdiscount's side where the row compares values (grand total, lines), to see when ours agree.
    expected = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "channel_order_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.channel_order_id}"


class SettingsChange(models.Model):
    """The settings audit trail: who changed which field of an account, from what to what."""

    MASK = "••••••"

    account = models.ForeignKey(CdiscountAccount, on_delete=models.CASCADE, related_name="settings_changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    field = models.CharField(max_length=100)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field} changed"


class InvoiceUpload(models.Model):
    """One order's invoice on its way to Cdiscount (issue 21): the claim that makes it posted once.

    Pending (to post, due at `next_attempt_at`) -> Importing (posted: Cdiscount's import
    `import_id` is followed) -> Uploaded, or Failed with Cdiscount's words (only a user retries).
    `attempts` counts posts tried: past the first, Cdiscount's documents are read before posting
    again, since an unanswered post may have arrived (and a second one would replace it).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IMPORTING = "importing", "Importing"
        UPLOADED = "uploaded", "Uploaded"
        FAILED = "failed", "Failed"

    WAITING = frozenset({Status.PENDING, Status.IMPORTING})

    account = models.ForeignKey(CdiscountAccount, on_delete=models.CASCADE, related_name="invoice_uploads")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="invoice_upload")
    # Set once issued (the run issues it when the order has none yet).
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    import_id = models.CharField("Cdiscount import", max_length=100, blank=True)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "status", "next_attempt_at"], name="invoiceupload_due_idx")]

    def __str__(self) -> str:
        return f"Invoice upload of order {self.order_id} ({self.get_status_display()})"
