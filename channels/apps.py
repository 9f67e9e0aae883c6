from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    # Our own app, not the Django Channels library (never install that one: same import name).
    name = "channels"
    verbose_name = "Channels"
