"""python manage.py download_orders --company CODE [--from DATE --to DATE] [--order ID]

Runs the same download service as the schedule, in the foreground, and prints the run's counts.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels.models import CdiscountAccount, SyncRun
from channels.services import download_run_now


class Command(BaseCommand):
    help = "Download Cdiscount orders for one company now, in the foreground, and print the counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", required=True, help="Company code (Company Settings).")
        parser.add_argument("--from", dest="date_from", help="Backfill from this date (YYYY-MM-DD or ISO date-time).")
        parser.add_argument("--to", dest="date_to", help="Backfill up to this date (YYYY-MM-DD or ISO date-time).")
        parser.add_argument("--order", dest="order_id", default="", help="Download one order by its Cdiscount id.")

    def handle(self, *args: object, **options: str) -> None:
        try:
            account = CdiscountAccount.objects.select_related("company").get(company__code=options["company"])
        except CdiscountAccount.DoesNotExist:
            raise CommandError(f"No Cdiscount account for a company with code {options['company']!r}.") from None
        zone = ZoneInfo(account.company.time_zone)
        date_from = _parse(options["date_from"], zone, end=False)
        date_to = _parse(options["date_to"], zone, end=True)
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from must be before --to.")
        run = download_run_now(
            account=account,
            trigger=SyncRun.Trigger.COMMAND,
            date_from=date_from,
            date_to=date_to,
            channel_order_id=options["order_id"] or "",
        )
        if run is None:
            raise CommandError("Another download of this account is running; try again when it ends (Sync Log).")
        self.stdout.write(
            f"Run {run.pk}: {run.get_status_display()} | window {run.window_from} -> {run.window_to} | "
            f"pages {run.pages} | created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
            f"skipped {run.skipped}, failed {run.failed}"
        )
        for problem in run.problems.all():
            self.stdout.write(f"  problem {problem.channel_order_id or '?'}: {problem.message}")
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(f"The download failed: {run.error}")


def _parse(value: str | None, zone: ZoneInfo, *, end: bool) -> datetime | None:
    """A date means the whole day in the company's time zone; a date-time is taken as given."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO date-time.") from None
    if len(value) == 10:  # a bare date
        parsed = datetime.combine(parsed.date(), time.max if end else time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
