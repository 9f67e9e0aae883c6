from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = "Invoices"

    def ready(self) -> None:
        from . import shell_entries
        from .renderers.registry import register_builtins

        register_builtins()
        shell_entries.register()
