from django.db import migrations, models

from sellercloud.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("orders", "0021_invoice_upload"),
    ]

    operations = [
        AddIndexOnline(
            model_name="order",
            index=models.Index(
                fields=["company", "channel", "-order_date", "-id"], name="order_company_channel_date_idx"
            ),
        ),
    ]
