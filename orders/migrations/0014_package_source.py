from django.db import migrations, models


def mark_marketplace_parcels(apps, schema_editor):
    """Packages the download made from Cdiscount's own parcel: Uploaded without an attempt or a
    user (ours always count one attempt before Uploaded)."""
    Package = apps.get_model("orders", "Package")
    Package.objects.filter(
        order__channel="cdiscount", upload_status="uploaded", upload_attempts=0, created_by__isnull=True, source=""
    ).update(source="Cdiscount")


class Migration(migrations.Migration):
    dependencies = [("orders", "0013_correct_cancelled_lines")]

    operations = [
        migrations.AddField(model_name="package", name="source", field=models.CharField(blank=True, max_length=40)),
        migrations.RunPython(mark_marketplace_parcels, migrations.RunPython.noop),
    ]
