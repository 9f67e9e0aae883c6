"""Invoices uploaded to Cdiscount exactly once (SPEC S9; issue 21), on the one run framework.

- General Settings > Fulfillment > Upload invoices to Cdiscount. Turning it on records when
  (`invoice_upload_since`): only orders Ship Confirmed from then on are uploaded.
- A run (kind Invoice upload, on the fulfillment upload's interval, under the account's lock of
  its kind) first gives each such order an InvoiceUpload row (Pending), then takes the due rows,
  claiming each with a conditional UPDATE, as the tracking upload claims packages.
- Pending: the invoice is issued if the order has none yet (invoices.services.invoice_issue;
  a refusal, such as missing legal details, is Failed with its reason), then its PDF is posted
  with `POST /orders/{orderId}/invoice-documents` (multipart). 201: Importing, with Cdiscount's
  import id, read at once with `GET /order-invoice-imports/{importId}`; Success makes it
  Uploaded, Failure makes it Failed with Cdiscount's words, Running is read again by a later run.
- Exactly once: a temporary fault leaves it Pending with a backoff; before any later post
  (attempts above one, or a user's retry), `GET /orders/{orderId}/invoice-documents` is read and
  a document already there counts as uploaded (a second post would replace it). A refusal is
  Failed with Cdiscount's words and retried only by a user (Order Details, Failed Uploads).
- Credit notes are never posted: the API does not document them, and a post replaces the
  invoice. Order Details says each one stays local.
"""

from .engine import invoice_upload_execute, invoice_uploads_enroll
from .services import (
    INVOICE_UPLOAD,
    failed_invoice_uploads,
    invoice_upload_claim_due_accounts,
    invoice_upload_of,
    invoice_upload_retry,
    invoice_upload_run_now,
    invoice_upload_run_queued,
    invoice_upload_why_not_retry,
    invoice_uploads_set_pending,
    order_invoice_uploads,
)

__all__ = [
    "INVOICE_UPLOAD",
    "failed_invoice_uploads",
    "invoice_upload_claim_due_accounts",
    "invoice_upload_execute",
    "invoice_upload_of",
    "invoice_upload_retry",
    "invoice_upload_run_now",
    "invoice_upload_run_queued",
    "invoice_upload_why_not_retry",
    "invoice_uploads_enroll",
    "invoice_uploads_set_pending",
    "order_invoice_uploads",
]
