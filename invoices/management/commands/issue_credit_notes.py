"""python manage.py issue_credit_notes [--company CODE]

Issues the credit notes that orders' hooks missed (a process that died between a refund's commit
and its hook): one per refund of an invoiced order, one per invoiced order cancelled. Safe to run
again: a refund or a cancel never gets a second credit note.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from invoices.credit_notes import credit_notes_issue_missing
from sellercloud.models import Company


class Command(BaseCommand):
    help = "Issue the credit notes missing for refunds and cancels of invoiced orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", default="", help="Only this company (its code); every company by default.")

    def handle(self, *args: object, **options: str) -> None:
        company = None
        if options["company"]:
            company = Company.objects.filter(code=options["company"]).first()
            if company is None:
                raise CommandError(f"No company with code {options['company']!r}.")
        issued, refusals = credit_notes_issue_missing(company=company)
        for refusal in refusals:
            self.stdout.write(f"Refused: {refusal}")
        self.stdout.write(f"{issued} credit note(s) issued, {len(refusals)} refused.")
