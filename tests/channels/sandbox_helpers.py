"""Helpers for tests that download from the sandbox: an account pointing at it, and what SPEC S5
says a download of it must import."""

from channels.download.mapping import imported_when_first_seen
from channels.models import CdiscountAccount
from orders.models import Order
from tests.factories import CdiscountAccountFactory


def account_for(sandbox, **fields) -> CdiscountAccount:
    """A Cdiscount account whose Custom URL environment is this sandbox."""
    values = {
        "environment": "custom",
        "custom_api_base_url": sandbox.api_base_url,
        "custom_token_url": sandbox.token_url,
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
        "seller_id": sandbox.config.seller_id,
        "download_enabled": True,
    }
    values.update(fields)
    return CdiscountAccountFactory(**values)


def sandbox_statuses(sandbox) -> dict[str, str]:
    return sandbox.control.statuses()


def importable(sandbox, *, allow_unpaid: bool) -> dict[str, str]:
    """The sandbox's orders that SPEC S5 imports on a first download: id -> Cdiscount status."""
    return {
        order_id: status
        for order_id, status in sandbox_statuses(sandbox).items()
        if imported_when_first_seen(status=status, allow_unpaid=allow_unpaid)
    }


def local(account) -> dict[str, str]:
    """Our orders of this account: Cdiscount id -> the channel status we hold."""
    return dict(Order.objects.filter(channel_account=account).values_list("channel_order_id", "channel_status"))
