from django.apps import AppConfig


class SellercloudConfig(AppConfig):
    name = "sellercloud"
    verbose_name = "Companies and users"
