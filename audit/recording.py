"""Recording staff access from a request (an API view's or the admin's)."""

from collections.abc import Iterable

from rest_framework.throttling import BaseThrottle

from audit.models import StaffAccess
from audit.services import READ_METHODS, staff_access_record


def staff_access_note(request, subject_ids: Iterable[int], *, channel: str, write=None) -> None:
    """Record that the caller, if staff, read or changed these customers' data.

    Costs nothing for a customer (one attribute check): only staff are recorded, and
    never for their own data. The entry holds the method and path, never the query
    string (searches may hold an email). `write` overrides what the method says.
    """
    user = request.user
    if not user.is_staff:
        return
    if write is None:
        write = request.method not in READ_METHODS
    staff_access_record(
        actor=user,
        subject_ids=subject_ids,
        action=StaffAccess.Action.WRITE if write else StaffAccess.Action.READ,
        channel=channel,
        what=f"{request.method} {request.path}",
        # The client's address as the throttles see it (TRUSTED_PROXY_COUNT applies).
        address=BaseThrottle().get_ident(request),
    )
