"""Idempotency keys: a request sent again with the same `Idempotency-Key` does its work once.

The first request with a key claims it by inserting an `IdempotencyRecord` (the unique
constraint on customer and key lets exactly one insert win), does its work outside any
transaction of this module, and keeps its answer on the record. Within
`IDEMPOTENCY_KEY_TTL` the same request gets that answer again without doing anything; the
same key with another request is refused, and so is a second request while the first is
still running. Only a successful (2xx) answer is kept: a request that fails changed
nothing, so it frees its key and may simply be sent again.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from customers.models import Customer
from favorites.models import IdempotencyRecord
from favorites_project.errors import DomainError

KEY_MAX_LENGTH = 255
KEY_RULE = "An Idempotency-Key is 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(DomainError):
    """The key was used for another request (another endpoint or another body)."""

    status = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used for a different request; use a new key for it."
        )


class RequestInProgress(DomainError):
    """Another request with the same key is still running."""

    status = 409
    code = "request_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still in progress; "
            "send it again after Retry-After seconds to get its answer."
        )
        self.retry_after = 1


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: str


def idempotency_key_valid(key: str) -> bool:
    return 0 < len(key) <= KEY_MAX_LENGTH and all(" " <= char <= "~" for char in key)


def request_fingerprint(*, operation: str, body: bytes) -> str:
    """What makes two requests the same one: the operation and the body (canonical JSON)."""
    digest = hashlib.sha256(operation.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def idempotency_claim(
    *, customer: Customer, key: str, fingerprint: str
) -> IdempotencyRecord | StoredAnswer:
    """The record that makes the caller the one to run the request, or the answer kept for it.

    Raises `IdempotencyKeyReused` (another request used the key) or `RequestInProgress`.
    A record still in progress after `IDEMPOTENCY_LOCK_SECONDS` is taken as abandoned (its
    process died) and taken over; an expired one is replaced.
    """
    for _ in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    customer=customer,
                    key=key,
                    fingerprint=fingerprint,
                    created_at=now,
                    expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL),
                )
        except IntegrityError:
            pass
        with transaction.atomic():
            record = (
                IdempotencyRecord.objects.select_for_update()
                .filter(customer=customer, key=key)
                .first()
            )
            if record is None:  # freed since the insert failed: try again
                continue
            abandoned = record.status is None and record.created_at <= now - timedelta(
                seconds=settings.IDEMPOTENCY_LOCK_SECONDS
            )
            if record.expires_at <= now or (abandoned and record.fingerprint == fingerprint):
                record.fingerprint, record.status, record.body = fingerprint, None, ""
                record.created_at = now
                record.expires_at = now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL)
                record.save()
                return record
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            if record.status is None:
                raise RequestInProgress()
            return StoredAnswer(status=record.status, body=record.body)
    raise RequestInProgress()


def _owned(record: IdempotencyRecord) -> QuerySet[IdempotencyRecord]:
    # Still this request's claim: not taken over since (a takeover sets a new created_at).
    return IdempotencyRecord.objects.filter(
        pk=record.pk, created_at=record.created_at, status__isnull=True
    )


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: str) -> None:
    """Keep the answer of the request that claimed the record."""
    _owned(record).update(status=status, body=body)


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Free the key of a request that failed, so that it can be sent again."""
    _owned(record).delete()


def idempotency_records_purge() -> int:
    """Delete the records past their expiry; how many went."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
