"""factory_boy factories for the models; realistic French data where it is shown."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from channels.models import CdiscountAccount
from orders.choices import Channel
from orders.models import Order, OrderItem, Package, Payment
from sellercloud.models import Company, Membership, User


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Maison Lumière {n} SAS")
    code = factory.Sequence(lambda n: f"maison{n}")
    legal_name = factory.LazyAttribute(lambda c: c.name)
    city = "Lyon"
    postal_code = "69003"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Jeanne"
    last_name = "Dupré"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)


class CdiscountAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CdiscountAccount

    company = factory.SubFactory(CompanyFactory)
    client_id = "demo-client"
    client_secret = "demo-secret-value"
    seller_id = "98979"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    company = factory.SubFactory(CompanyFactory)
    channel = Channel.CDISCOUNT
    channel_account = factory.LazyAttribute(
        lambda o: (
            CdiscountAccount.objects.get_or_create(company=o.company)[0] if o.channel == Channel.CDISCOUNT else None
        )
    )
    channel_order_id = factory.Sequence(lambda n: f"2611{n:06d}ABCDE")
    order_date = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    customer_name = "Hélène Lefèvre"
    customer_reference = factory.Sequence(lambda n: f"CUST-{n}")
    subtotal = Decimal("99.80")
    shipping_total = Decimal("23.99")
    grand_total = Decimal("123.79")
    commission_with_vat = Decimal("12.38")
    commission_without_vat = Decimal("10.32")


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    channel_line_id = factory.Sequence(lambda n: f"L{n}")
    sku = factory.Sequence(lambda n: f"LAMP-{n}")
    title = "Lampe de chevet en laiton"
    quantity = 2
    unit_price = Decimal("49.90")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    operation_type = "Cdiscount"
    method = "Card"
    amount = factory.LazyAttribute(lambda p: p.order.grand_total)
    paid_at = factory.LazyFunction(timezone.now)


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Package

    order = factory.SubFactory(OrderFactory)
    carrier = "Colissimo"
    tracking_number = factory.Sequence(lambda n: f"6A{n:011d}")
    ship_date = factory.LazyFunction(lambda: timezone.localdate())
