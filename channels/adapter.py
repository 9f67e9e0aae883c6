"""The Cdiscount adapter: what order pages need to know of Cdiscount (orders.channel_registry).

Registered for Channel.CDISCOUNT in ChannelsConfig.ready(). Its actions (Accept / Refuse on an
order waiting for acceptance; Retry upload and Upload to Cdiscount on a package) appear in
Order Details and run through orders' one generic channel-action view.
"""

from __future__ import annotations

from typing import Any

from orders.channel_registry import ActionResult, ChannelAction, DocumentUpload, HealthCard
from orders.choices import UploadStatus
from orders.models import Order, Package
from sellercloud.models import User
from sellercloud.permissions import Permission

from . import account_status, approval, invoice_upload, upload
from .cdiscount.client import ApprovalOutcome
from .forms import RefuseOrderForm

# Retry upload and Upload to Cdiscount need Manage channel, not Process orders: they call the
# marketplace with the account's credentials, and the membership grants "uploads, retries" with
# the channel (SPEC S3), as on the Sync Log and the health card.
UPLOAD_PERMISSION = Permission.MANAGE_CHANNEL


def _approve(verb: str, service: Any) -> Any:
    def run(*, order: Order, by: User, data: dict[str, Any] | None = None, **_: Any) -> ActionResult:
        outcome = service(order=order, by=by, **(data or {}))
        already = " (it already had this decision)" if outcome == ApprovalOutcome.ALREADY_DONE else ""
        return ActionResult(f"Cdiscount {verb} the order{already}.")

    return run


def _upload(service: Any) -> Any:
    # `service` is a lambda that looks the upload service up at call time (tests replace it).
    def run(*, package: Package, by: User, **_: Any) -> ActionResult:
        # A read and a post to Cdiscount in this request; the service says what it did.
        package = service(package=package, by=by)
        number = package.tracking_number
        if package.upload_status == UploadStatus.UPLOADED:
            return ActionResult(f"Tracking {number} uploaded to Cdiscount.")
        if package.upload_status == UploadStatus.FAILED:
            return ActionResult(f"Upload of tracking {number} failed again: {package.upload_error}", "error")
        why = f" ({package.upload_error})" if package.upload_error else ""
        return ActionResult(f"Cdiscount could not be reached{why}: tracking {number} will be retried.", "warning")

    return run


def _upload_status_is(status: str, reason: str) -> Any:
    def why_not(order: Order, package: Package | None) -> str | None:
        return None if package is not None and package.upload_status == status else reason

    return why_not


ACCEPT = ChannelAction(
    key="accept",
    label="Accept Order",
    permission=Permission.PROCESS_ORDERS,
    run=_approve("accepted", approval.order_accept),
    why_not=lambda order, _: approval.why_not_approve(order),
    confirm=lambda order, _: "Accept this order on Cdiscount?",
)
REFUSE = ChannelAction(
    key="refuse",
    label="Refuse Order",
    permission=Permission.PROCESS_ORDERS,
    run=_approve("refused", approval.order_refuse),
    why_not=lambda order, _: approval.why_not_approve(order),
    form=RefuseOrderForm,
)
RETRY_UPLOAD = ChannelAction(
    key="retry-upload",
    label="Retry upload",
    permission=UPLOAD_PERMISSION,
    on="package",
    run=_upload(lambda **kw: upload.package_retry_upload(**kw)),
    why_not=_upload_status_is(UploadStatus.FAILED, "Only a Failed upload is retried."),
    confirm=lambda order, package: (
        f"Retry the upload of tracking {package and package.tracking_number} to Cdiscount now?"
    ),
)
UPLOAD_BY_HAND = ChannelAction(
    key="upload",
    label="Upload to Cdiscount",
    permission=UPLOAD_PERMISSION,
    on="package",
    run=_upload(lambda **kw: upload.package_upload_by_hand(**kw)),
    why_not=_upload_status_is(
        UploadStatus.NOT_REQUIRED, "Only a package whose upload is Not Required is uploaded by hand."
    ),
    confirm=lambda order, package: f"Upload tracking {package and package.tracking_number} to Cdiscount now?",
)


def _retry_invoice_upload(*, order: Order, by: User, **_: Any) -> ActionResult:
    # Cdiscount's documents read, then a post and one read of its import, in this request.
    done = invoice_upload.invoice_upload_retry(order=order, by=by)
    number = done.invoice.number if done.invoice else "of the order"
    if done.status == done.Status.UPLOADED:
        return ActionResult(f"Invoice {number} uploaded to Cdiscount.")
    if done.status == done.Status.IMPORTING:
        return ActionResult(f"Invoice {number} posted to Cdiscount: its import is still running.")
    if done.status == done.Status.FAILED:
        return ActionResult(f"Upload of invoice {number} failed again: {done.error}", "error")
    return ActionResult(f"Cdiscount could not be reached ({done.error}): invoice {number} will be retried.", "warning")


RETRY_INVOICE_UPLOAD = ChannelAction(
    key="retry_invoice_upload",
    label="Retry invoice upload",
    permission=UPLOAD_PERMISSION,
    run=_retry_invoice_upload,
    why_not=lambda order, _: invoice_upload.invoice_upload_why_not_retry(order),
    confirm=lambda order, _: "Retry the upload of this order's invoice to Cdiscount now?",
)


class CdiscountAdapter:
    """Cdiscount in the terms of orders.channel_registry.ChannelAdapter."""

    label = "Cdiscount"
    # SPEC S4: Cdiscount ships one parcel per complete order, never a partial shipment.
    one_parcel_per_order = True
    actions: tuple[ChannelAction, ...] = (ACCEPT, REFUSE, RETRY_UPLOAD, UPLOAD_BY_HAND, RETRY_INVOICE_UPLOAD)

    def cancel_note(self, order: Order) -> str:
        return "Cancel it on the Cdiscount seller portal too: this changes our records only."

    def refund_note(self, order: Order) -> str:
        return "Issue the refund on the Cdiscount seller portal too: this records it here only."

    def new_package_upload_status(self, order: Order) -> str:
        # With fulfillment upload off the package is Not Required: a user may still upload it by
        # hand, and Ship Confirmed comes when a download sees the order Shipped (SPEC S8).
        account = order.channel_account
        upload_on = account is not None and account.upload_enabled
        return UploadStatus.PENDING if upload_on else UploadStatus.NOT_REQUIRED

    def upload_note(self, order: Order) -> str:
        return "tracking waits for upload to Cdiscount"

    def health_cards(self, company_ids: list[int]) -> list[HealthCard]:
        return account_status.health_cards(company_ids)

    def invoice_uploads(self, order: Order) -> list[DocumentUpload]:
        return invoice_upload.order_invoice_uploads(order)

    def form_note(self, order: Order, action: str) -> str:
        if action == "cancel":
            return (
                "This cancels the order in our records only: cancel it on the Cdiscount seller portal too. "
                "A package still waiting to upload is withdrawn."
            )
        if action == "refund":
            return (
                "Cdiscount refunds must also be issued on the Cdiscount seller portal: this records the refund "
                "here only, so that Payment Status and Profit & Loss stay right."
            )
        if action == "ship":
            if self.new_package_upload_status(order) == UploadStatus.PENDING:
                upload = "The tracking waits as Pending and is uploaded to Cdiscount automatically."
            else:
                upload = "Fulfillment upload is off for this account: the package is Not Required to upload."
            return f"Cdiscount takes one parcel per order. {upload}"
        return ""
