"""Accent- and case-blind customer search (issue 24, point 4): Order.search_name, filled from
customer_name by orders.text.search_text for the orders already there, and on PostgreSQL a
trigram index on it (the search's substring lookup), replacing the one on UPPER(customer_name)."""

from django.db import migrations, models

from orders.text import search_text

BATCH = 5000


def fill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    last = 0
    while True:
        rows = list(Order.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "customer_name")[:BATCH])
        if not rows:
            return
        changed = [Order(pk=pk, search_name=search_text(name)) for pk, name in rows if name]
        Order.objects.bulk_update(changed, ["search_name"], batch_size=1000)
        last = rows[-1][0]


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: a plain LIKE on the normalised column
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS order_search_name_trgm ON orders_order USING gin (search_name gin_trgm_ops)"
    )
    schema_editor.execute("DROP INDEX IF EXISTS order_customer_name_trgm")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS order_search_name_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS order_customer_name_trgm ON orders_order "
        "USING gin (UPPER(customer_name::text) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0015_orderevent_kind_invoice")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="search_name",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
