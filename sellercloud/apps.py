from django.apps import AppConfig


class SellercloudConfig(AppConfig):
    name = "sellercloud"
    verbose_name = "Companies and users"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks of the keys)
