"""Fulfillment upload (SPEC S6, S8; issue #9): a package's tracking goes to Cdiscount exactly once.

How a run works:
- The beat claims each due account (Enable Order Fulfillment Upload on) with a conditional UPDATE
  of `next_upload_at`, as the download does; one task per claimed account.
- A run holds the account's "upload" lock (separate from the download's), renews it, and records
  a SyncRun (kind upload) with its counts, heartbeat and error, shown in the Sync Log.
- It takes the account's Pending packages that are due and claims each one before posting it: a
  conditional UPDATE on `upload_status=Pending` and a free (or stale) `upload_claimed_at`, which
  also counts the attempt. A task delivered twice, or two runs at once, therefore never post the
  same package twice: the second claim finds nothing.
- Each package is posted to `/orders/{orderId}/shipments` as one parcel: its tracking number,
  the carrier mapped through the account's carrier mapping (or sent as is when it is itself one
  of Cdiscount's labels, from `GET /carriers`, cached a few hours), the tracking URL and the order
  line ids (all lines but cancelled / refused / rejected ones; CancelRequest lines are shippable).
- 201: Uploaded, the order Ship Confirmed, an OrderEvent. A temporary fault (5xx, timeout, 429,
  connection): the package stays Pending, due again after a backoff (Retry-After honoured). A
  refusal (400, 404, 409, a business rule, an unmapped carrier): Failed with the marketplace's own
  words, an OrderEvent, retried only when a user asks.
- Never posted twice: before any retry (a package already attempted, or a user's retry) the run
  reads the order and treats a parcel with the same number as already uploaded. The client never
  re-sends a POST by itself, so this is the only place that decides.
- Several packages are in flight at once on PostgreSQL (a small pool of threads, each with its own
  database connection, closed at the end; the HTTP client is shared, it is thread-safe). A 429
  pauses every thread of the run for its Retry-After.

Settings (sellercloud/settings.py, each from the environment): UPLOAD_THREADS, UPLOAD_BACKOFF_BASE_SECONDS,
UPLOAD_BACKOFF_MAX_SECONDS, UPLOAD_MAX_ATTEMPTS, UPLOAD_CLAIM_STALE_SECONDS, UPLOAD_MAX_PACKAGES_PER_RUN,
UPLOAD_CARRIERS_CACHE_SECONDS.
"""

from .common import UploadOutcome
from .engine import upload_execute
from .services import (
    UPLOAD,
    failed_uploads,
    package_retry_upload,
    package_upload_by_hand,
    packages_set_pending,
    upload_active_run,
    upload_claim_due_accounts,
    upload_run_now,
    upload_run_queued,
)

__all__ = [
    "UPLOAD",
    "UploadOutcome",
    "failed_uploads",
    "package_retry_upload",
    "package_upload_by_hand",
    "packages_set_pending",
    "upload_active_run",
    "upload_claim_due_accounts",
    "upload_execute",
    "upload_run_now",
    "upload_run_queued",
]
