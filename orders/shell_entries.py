"""What orders adds to the page shell: Orders > Manage Orders in the left navigation.

Registered from `OrdersConfig.ready()`: the core (sellercloud) lists the entry without importing
this app. Positions: see `sellercloud.shell.NavEntry` (Orders takes the 100s).
"""

from django.urls import reverse

from sellercloud.shell import NavEntry, register_nav


def register() -> None:
    """Add orders' entries to the shell's registries (called once per app registry)."""
    register_nav(
        NavEntry("Manage Orders", lambda company: reverse("orders:list"), "/orders/", section="Orders", position=100)
    )
