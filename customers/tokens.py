"""What an access token says of its customer, and whether that still holds.

SimpleJWT's check of a token's customer (`customers.authentication`) reads the customer's
row, from the cache: the customer exists, is active, and has the password it had when the
token was issued (the token carries a digest of it). A write can make the same check in its
own statement, against the row as the write itself sees it, and then needs no cached
customer: a customer's own add and remove (`favorites.views.own_lane`) are made so, one
round trip to Redis fewer each (docs/performance.md, "Writes"). Such a check sees every
change committed before the write's statement began: one made past the ORM, which the
cache shows only within AUTH_CACHE_SECONDS, refuses the next write at once.
"""

from dataclasses import dataclass

from rest_framework_simplejwt.utils import get_md5_hash_password


@dataclass(frozen=True)
class TokenCustomer:
    """A valid access token's customer as the token names it (its row unread): its id, and
    the digest of the password it had when the token was issued (SimpleJWT's claim)."""

    id: int
    password_digest: str


class TokenRevoked(Exception):
    """The token's customer is gone, inactive, or has another password now: nothing was
    written. A signal to the code that passed the token (`favorites.views.own_lane`),
    which leaves the request to DRF's authentication to refuse; never answered itself."""


# `holds` as a condition on the customer's row, for PostgreSQL (its `md5`), with one
# parameter: the token's digest. SimpleJWT's digest is the upper-case hex MD5 of the
# password's hash (the column's text).
HOLDS_SQL = '"is_active" AND upper(md5("password")) = %s'


def holds(*, is_active: bool, password: str, digest: str) -> bool:
    """Whether a customer with this state is still the one the token names."""
    return is_active and get_md5_hash_password(password) == digest
