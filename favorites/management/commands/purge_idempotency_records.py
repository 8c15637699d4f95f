"""Delete the Idempotency-Key records past their expiry (run it daily)."""

from django.core.management.base import BaseCommand

from favorites.idempotency import idempotency_records_purge


class Command(BaseCommand):
    help = (
        "Delete the answers kept for Idempotency-Keys once their IDEMPOTENCY_KEY_TTL has passed "
        "(they are no longer replayed either way; this frees their rows)."
    )

    def handle(self, *args, **options):
        deleted = idempotency_records_purge()
        self.stdout.write(f"Deleted {deleted} expired idempotency record(s).")
