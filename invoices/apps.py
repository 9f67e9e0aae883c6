from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = "Invoices"

    def ready(self) -> None:
        from orders import hooks
        from orders.bulk import BulkAction, register_bulk_action
        from sellercloud.permissions import Permission

        from . import bulk_print, dispatch, shell_entries
        from .credit_notes import credit_note_for_cancel, credit_note_for_refund
        from .renderers.registry import register_builtins

        register_builtins()
        shell_entries.register()
        # A refund, or a cancel after invoicing, issues a credit note once committed (issue 19).
        hooks.on_order_refunded(credit_note_for_refund)
        hooks.on_order_cancelled(credit_note_for_cancel)
        # Manage Orders' Actions menu: the invoices of the ticked or filtered orders in one PDF.
        register_bulk_action(
            BulkAction(
                "bulk_print_invoices",
                "Bulk Print Invoices",
                Permission.PROCESS_ORDERS,
                start=dispatch.bulk_print_start,
                confirm_ticked=False,
                max_orders=bulk_print.MAX_ORDERS,
            )
        )
