from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    # Our own app, not the Django Channels library (never install that one: same import name).
    name = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Cdiscount plugs into the registry orders owns: orders never imports channels.
        from orders.channel_registry import register
        from orders.choices import Channel

        from . import shell_entries
        from .adapter import CdiscountAdapter

        register(Channel.CDISCOUNT, CdiscountAdapter())
        # The menus, the Companies grid and the demo seed of the core (which imports no app).
        shell_entries.register()
