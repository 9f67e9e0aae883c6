"""What channels adds to the core (sellercloud), which imports no app: Sync > Sync Log in the
left navigation, Cdiscount > General Settings in the Company Settings Toolbox, "Cdiscount" in
Manage Companies' Integrated channels column, and the demo's sandbox Cdiscount account.

`register()` is called from `ChannelsConfig.ready()`. Positions: see `sellercloud.shell.NavEntry`
(Sync takes the 700s of the navigation; the channel groups the 100s of the Toolbox).
"""

from __future__ import annotations

from collections.abc import Collection

from django.urls import reverse
from django.utils import timezone

from sellercloud.models import Company
from sellercloud.services import register_demo_seed
from sellercloud.shell import (
    IntegratedChannel,
    NavEntry,
    ToolboxEntry,
    register_integrated_channel,
    register_nav,
    register_toolbox,
)

from .models import CdiscountAccount, Environment


def register() -> None:
    """Add channels' entries to the core's registries (called once per app registry)."""
    register_nav(NavEntry("Sync Log", lambda company: reverse("sync_log"), "/sync-log/", section="Sync", position=700))
    register_toolbox(ToolboxEntry("General Settings", group="Cdiscount", url_name="cdiscount_settings", position=100))
    register_integrated_channel(IntegratedChannel("Cdiscount", companies_with_cdiscount, position=100))
    register_demo_seed(demo_seed_cdiscount_account)


def companies_with_cdiscount(company_ids: list[int]) -> Collection[int]:
    """Which of these companies have a Cdiscount account (enabled or not, as before)."""
    return set(CdiscountAccount.objects.filter(company_id__in=company_ids).values_list("company_id", flat=True))


def demo_seed_cdiscount_account(*, company: Company) -> list[str]:
    """The demo company's Cdiscount account on the local sandbox, ready to download and upload.

    Left as it is when the company has one already (a re-run of the seed changes nothing).
    """
    _, made = CdiscountAccount.objects.get_or_create(
        company=company,
        defaults={
            "environment": Environment.SANDBOX,
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "seller_id": "98979",
            "download_enabled": True,
            "allow_unpaid_orders": True,
            "upload_enabled": True,
            "next_download_at": timezone.now(),
        },
    )
    return ["Cdiscount account (Local sandbox)"] if made else []
