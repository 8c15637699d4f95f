"""Writes of the staff access records."""

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Replace

from audit.models import StaffAccess

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Actor(Protocol):
    """Who did it: the customer model (AUTH_USER_MODEL), as far as the records need it."""

    pk: Any
    is_staff: bool


def client_address(address: str | None) -> str | None:
    """The address as stored: a valid IP address, or nothing."""
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def staff_access_record(
    *,
    actor: Actor,
    subject_ids: Iterable[int],
    action: str,
    channel: str,
    what: str,
    address: str | None,
) -> list[StaffAccess]:
    """One entry per customer whose data `actor` (staff) read or changed; none for the
    actor's own data, and none when the actor is not staff."""
    if not actor.is_staff:
        return []
    entries = [
        StaffAccess(
            actor_id=actor.pk,
            subject_id=subject_id,
            action=action,
            channel=channel,
            what=what[:300],
            address=client_address(address),
        )
        for subject_id in dict.fromkeys(subject_ids)
        if subject_id is not None and subject_id != actor.pk
    ]
    return StaffAccess.objects.bulk_create(entries) if entries else []


def pseudonym(customer_id: int) -> str:
    """A stable stand-in for an erased customer: the same one in every entry, and not the
    id (derived with the secret key, so it cannot be recomputed from a list of ids)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"customer:{customer_id}".encode(), hashlib.sha256
    )
    return f"erased-{digest.hexdigest()[:16]}"


def staff_accesses_pseudonymise(*, customer_id: int) -> int:
    """The customer's entries, as subject and as actor, keep no link to it; returns how many."""
    stand_in = pseudonym(customer_id)
    what: Combinable = F("what")
    # Paths name the customer by id (`/api/v1/customers/7/`, `/admin/customers/customer/7/`).
    for prefix in ("/customers/", "/customer/"):
        what = Replace(what, Value(f"{prefix}{customer_id}/"), Value(f"{prefix}{stand_in}/"))
    as_subject = StaffAccess.objects.filter(subject_id=customer_id).update(
        subject=None, subject_pseudonym=stand_in, what=what
    )
    as_actor = StaffAccess.objects.filter(actor_id=customer_id).update(
        actor=None, actor_pseudonym=stand_in
    )
    return as_subject + as_actor
