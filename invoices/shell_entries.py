"""What invoices adds to the shell and to Order Details, from `InvoicesConfig.ready()`: Invoice
Settings in the Company Settings Toolbox, Print Invoice and the order's invoice list in its Actions menu (through
orders' registry: orders never imports invoices), and the demo company's legal details.
"""

from orders.action_registry import RegisteredOrderAction, register_order_action
from sellercloud.permissions import Permission
from sellercloud.services import register_demo_seed
from sellercloud.shell import ToolboxEntry, register_toolbox

from .demo import demo_seed_legal_details
from .services import has_invoice_annotation, order_invoices_why_not, print_invoice_why_not


def register() -> None:
    """Add invoices' entries to the shell's registries (called once per app registry)."""
    # After the channel groups (100s): Invoice Settings has always closed the Toolbox.
    register_toolbox(ToolboxEntry("Invoice Settings", url_name="invoice_settings", position=500))
    register_order_action(
        RegisteredOrderAction(
            key="print_invoice",
            label="Print Invoice",
            permission=Permission.PROCESS_ORDERS,
            url_name="print_invoice",
            why_not=print_invoice_why_not,
            position=100,
            annotations=has_invoice_annotation,
        )
    )
    register_order_action(
        RegisteredOrderAction(
            key="order_invoices",
            label="Invoices and Credit Notes",
            permission=Permission.PROCESS_ORDERS,
            url_name="order_invoices",
            why_not=order_invoices_why_not,
            position=110,
            method="get",
            annotations=has_invoice_annotation,
        )
    )
    register_demo_seed(demo_seed_legal_details)
