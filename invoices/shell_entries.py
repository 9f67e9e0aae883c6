"""What invoices adds to the page shell: Invoice Settings in the Company Settings Toolbox.

Registered from `InvoicesConfig.ready()`: the core (sellercloud) lists the entry without importing
this app. Listed without a link until its page exists (no `url_name` yet).
"""

from sellercloud.shell import ToolboxEntry, register_toolbox


def register() -> None:
    """Add invoices' entries to the shell's registries (called once per app registry)."""
    # After the channel groups (100s): Invoice Settings has always closed the Toolbox.
    register_toolbox(ToolboxEntry("Invoice Settings", position=500))
