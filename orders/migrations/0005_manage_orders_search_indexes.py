"""Indexes for the Manage Orders search box (SPEC S7), outside the model state on purpose.

- Trigram GIN indexes on UPPER(customer_name) and UPPER(customer_reference), PostgreSQL only (0006
  replaces the reference one by a prefix B-tree):
  Django's icontains / istartswith compile to UPPER(col::text) LIKE UPPER(%s), which these serve.
  SQLite has no pg_trgm; there the search is a plain LIKE.
- A B-tree index on Package.tracking_number for the exact tracking search, on every database
  (the model declares none, and only the Order model's owner may change its Meta).
"""

from django.db import migrations

TRGM_INDEXES = {
    "order_customer_name_trgm": "customer_name",
    "order_customer_ref_trgm": "customer_reference",
}


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS package_tracking_number_idx ON orders_package (tracking_number)"
    )
    if connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRGM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orders_order USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS package_tracking_number_idx")
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRGM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_bulk_action_favorite"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
