"""The customer reference search is a prefix search: a B-tree on UPPER(customer_reference) with
text_pattern_ops serves `UPPER(customer_reference) LIKE 'TERM%'` (Django's istartswith) in any
collation. The trigram index of 0005 served it too, but references are mostly digits, whose
trigrams are in nearly every row: at a million orders that index read tens of thousands of
entries for one search. PostgreSQL only, like 0005.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS order_customer_ref_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS order_customer_ref_prefix "
        "ON orders_order (UPPER(customer_reference::text) text_pattern_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS order_customer_ref_prefix")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS order_customer_ref_trgm "
        "ON orders_order USING gin (UPPER(customer_reference::text) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_manage_orders_search_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
