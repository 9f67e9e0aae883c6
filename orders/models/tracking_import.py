"""Import Tracking's background jobs and their row-by-row reports (SPEC S8, S6)."""

from django.conf import settings
from django.db import models

from .orders import Order, Package


class TrackingImportJob(models.Model):
    """One Import Tracking file, imported in the background (SPEC S8, S6).

    The file's text is kept here, so that any worker can run or resume the import. Rows are done
    in file order; `next_row` counts the records under the header that are done, and moves in the
    same transaction as their shipments and their TrackingImportRow results. A worker killed
    mid-file therefore leaves each row applied and reported, or neither; the next run (the task
    delivered again, or Resume) starts at `next_row`. `runner` names the run that holds the job,
    and `heartbeat_at` says it is alive: a running job without a heartbeat for a while is shown
    as Failed and may be resumed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    ACTIVE = frozenset({Status.QUEUED, Status.RUNNING})
    # A run may take over a job in these states (a Running one only when its heartbeat is stale).
    CLAIMABLE = frozenset({Status.QUEUED, Status.FAILED})

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracking_imports")
    file_name = models.CharField(max_length=255)
    content = models.TextField(help_text="The file's text, decoded (UTF-8 or Windows-1252), BOM removed.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0, help_text="Records under the header, blank ones included.")
    next_row = models.PositiveIntegerField(default=0, help_text="Records under the header that are done.")
    shipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    runner = models.CharField(max_length=32, blank=True, help_text="The run that holds the job while it runs.")
    error = models.TextField(blank=True, help_text="Why the job failed, for people.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="trackingimport_user_idx")]

    def __str__(self) -> str:
        return f"Import Tracking {self.pk}: {self.file_name} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        return int(100 * self.next_row / self.total_rows) if self.total_rows else 100


class TrackingImportRow(models.Model):
    """One row's result in an Import Tracking report: shipped (with its package) or the reason why not.

    Written in the transaction that ships the row, and unique per (job, row): a row is reported
    once, however many times its job runs.
    """

    class Outcome(models.TextChoices):
        SHIPPED = "shipped", "Shipped"
        ERROR = "error", "Error"

    job = models.ForeignKey(TrackingImportJob, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField(help_text="The row number in the file (the header is row 1).")
    order_ref = models.CharField(max_length=100, blank=True, help_text="What the row named, cut to 100 characters.")
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    package = models.ForeignKey(Package, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.TextField()

    class Meta:
        ordering = ["job", "row"]
        constraints = [models.UniqueConstraint(fields=["job", "row"], name="trackingimportrow_unique_row")]

    def __str__(self) -> str:
        return f"Row {self.row}: {self.get_outcome_display()}"
