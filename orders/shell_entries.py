"""What orders adds to the page shell: Orders > Manage Orders and Manage RMAs in the left
navigation, and Return Settings in the Toolbox.

Registered from `OrdersConfig.ready()`: the core (sellercloud) lists the entry without importing
this app. Positions: see `sellercloud.shell.NavEntry` (Orders takes the 100s).
"""

from django.urls import reverse

from sellercloud.permissions import Permission
from sellercloud.shell import NavEntry, ToolboxEntry, register_nav, register_toolbox


def register() -> None:
    """Add orders' entries to the shell's registries (called once per app registry)."""
    register_nav(
        NavEntry("Manage Orders", lambda company: reverse("orders:list"), "/orders/", section="Orders", position=100)
    )
    register_toolbox(
        ToolboxEntry(
            "Return Settings", url_name="rma_settings:return_settings", permission=Permission.MANAGE_RMAS, position=550
        )
    )
    register_nav(
        NavEntry("Manage RMAs", lambda company: reverse("rmas:list"), "/rmas/", section="Orders", position=110)
    )
    # SPEC S7: Sync > Sync Log, Dashboard (the Sync Log, channels', is at 700).
    register_nav(
        NavEntry("Dashboard", lambda company: reverse("dashboard"), "/dashboard/", section="Sync", position=710)
    )
