"""The orders waiting for Cdiscount's acceptance, per account (health card, dashboard): a partial
index on the orders table, made here because the word is Cdiscount's, not orders'."""

from django.db import migrations

INDEX = "cdiscount_waiting_acceptance_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0008_reconciliation"),
        ("orders", "0019_dashboard_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} ON orders_order (channel_account_id) "
            "WHERE channel_status = 'WaitingAcceptance'",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
