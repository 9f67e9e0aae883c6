"""`python manage.py rotate_encryption_keys`: re-encrypt every stored secret (each model's
EncryptedTextField values: client secrets, access tokens) with the newest key, the first of
FIELD_ENCRYPTION_KEYS. Run it after putting a new key in front, or after setting
FIELD_ENCRYPTION_KEYS on an installation whose secrets were encrypted with the key derived from
the secret key; then the old key can be dropped. Safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sellercloud.crypto import encrypted_values_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the newest key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be re-encrypted; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        rotations = encrypted_values_rotate(dry_run=dry_run)
        verb = "to re-encrypt" if dry_run else "re-encrypted"
        for rotation in rotations:
            self.stdout.write(
                f"{rotation.label}: {rotation.rotated} {verb}, {rotation.current} already on the newest key"
            )
        unreadable = [f"{r.label} (pk {', '.join(map(str, r.unreadable))})" for r in rotations if r.unreadable]
        if unreadable:
            raise CommandError(
                "Some stored secrets cannot be decrypted with any key of FIELD_ENCRYPTION_KEYS (nor the key "
                f"derived from the secret key), so they were left as they are: {'; '.join(unreadable)}. "
                "Add the key they were written with to FIELD_ENCRYPTION_KEYS and run this again, or type "
                "those secrets again."
            )
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Every stored secret is on the newest key."))
