"""What channels adds to the core (sellercloud), which imports no app: Sync > Sync Log in the
left navigation and Cdiscount > General Settings in the Company Settings Toolbox.

`register()` is called from `ChannelsConfig.ready()`. Positions: see `sellercloud.shell.NavEntry`
(Sync takes the 700s of the navigation; the channel groups the 100s of the Toolbox).
"""

from __future__ import annotations

from django.urls import reverse

from sellercloud.shell import NavEntry, ToolboxEntry, register_nav, register_toolbox


def register() -> None:
    """Add channels' entries to the core's registries (called once per app registry)."""
    register_nav(NavEntry("Sync Log", lambda company: reverse("sync_log"), "/sync-log/", section="Sync", position=700))
    register_toolbox(ToolboxEntry("General Settings", group="Cdiscount", url_name="cdiscount_settings", position=100))
