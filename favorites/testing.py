"""Helpers for the favorites tests (and any other suite that builds favorites)."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from favorites.models import Favorite
from favorites.tests.factories import FavoriteFactory

# When a stale favorite was added and last refreshed.
LONG_AGO = timezone.now() - timedelta(days=2)


def money(amount: object) -> Decimal:
    """`amount` as the API and the database hold prices: a Decimal in cents."""
    return Decimal(str(amount)).quantize(Decimal("0.01"))


def refresh(*args: str) -> str:
    """`manage.py refresh_favorites *args`, in process; what it wrote to stdout."""
    out = StringIO()
    call_command("refresh_favorites", *args, stdout=out)
    return out.getvalue()


def stale_favorite(product_id: str | None = None, **fields: object) -> Favorite:
    """A favorite added and last refreshed `LONG_AGO` (any other field as given)."""
    if product_id is not None:
        fields["product_id"] = product_id
    return FavoriteFactory(refreshed_at=LONG_AGO, created_at=LONG_AGO, **fields)
