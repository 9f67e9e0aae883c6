"""Orders downloaded before SPEC S5's cancelled-lines rule: totals without their cancelled lines,
and the refunds Cdiscount made for them (issue 17). Idempotent; see orders.corrections."""

from django.db import migrations

from orders.corrections import correct_cancelled_lines


def forward(apps, schema_editor):
    correct_cancelled_lines(apps)


class Migration(migrations.Migration):
    dependencies = [("orders", "0012_cancelled_lines_and_channel_refunds")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
