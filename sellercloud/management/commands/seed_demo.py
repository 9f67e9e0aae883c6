"""`python manage.py seed_demo`: the demo company, its Client Admin and what each app adds to the
demo, such as the sandbox Cdiscount account (SPEC S13; see `services.register_demo_seed`). Safe to
run any number of times: a re-run changes nothing. Refused on a database that holds other
companies (a real installation): nothing is created."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sellercloud.services import DEMO_ADMIN_DEFAULT_PASSWORD, ServiceError, demo_seed


class Command(BaseCommand):
    help = "Create the demo company, its Client Admin and each app's demo rows (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEMO_ADMIN_DEFAULT_PASSWORD
        try:
            seed = demo_seed(admin_password=password)
        except ServiceError as e:
            raise CommandError(str(e)) from e
        for label in seed.created:
            self.stdout.write(f"Created {label}.")
        self.stdout.write(f"Demo company: {seed.company.name} (code {seed.company.code}, id {seed.company.pk})")
        if seed.password_works:
            self.stdout.write(self.style.SUCCESS(f"Demo login: {seed.admin.username} / {password}"))
        else:
            # Someone chose another password on purpose; a re-run must not take it away.
            self.stdout.write(
                self.style.WARNING(
                    f"Demo login: {seed.admin.username} (its password was changed since the seed; "
                    f"reset it with `python manage.py changepassword {seed.admin.username}`)"
                )
            )
