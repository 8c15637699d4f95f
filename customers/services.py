from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from audit.services import staff_accesses_pseudonymise
from customers.cache import customer_data_changed, customer_forget
from customers.models import Customer, customer_password_set, normalize_email
from customers.personal_data import PSEUDONYMISED, customer_holdings
from events.models import EventType
from events.services import event_record
from favorites_project.errors import DomainError


class EmailTaken(DomainError):
    """Another customer already has this email (whatever its case)."""

    status = 409
    code = "email_taken"

    def __init__(self, email: str):
        super().__init__(f"A customer with the email {email} already exists.")


def _save(customer: Customer) -> None:
    """Insert or update; the database's unique index decides duplicate emails, races included."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        if Customer.objects.filter(email=customer.email).exclude(pk=customer.pk).exists():
            raise EmailTaken(customer.email) from None
        raise


def customer_create(
    *,
    email: str,
    name: str,
    password: str | None = None,
    is_staff: bool = False,
    is_active: bool = True,
    is_superuser: bool = False,
) -> Customer:
    """A new customer; without a password it cannot log in until one is set."""
    try:
        with transaction.atomic():
            return Customer.objects.create_user(
                email,
                password,
                name=name,
                is_staff=is_staff,
                is_active=is_active,
                is_superuser=is_superuser,
            )
    except IntegrityError:
        if Customer.objects.filter(email=normalize_email(email)).exists():
            raise EmailTaken(normalize_email(email)) from None
        raise


def customer_update(
    *,
    customer: Customer,
    actor: Customer,
    name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    current_password: str | None = None,
    is_staff: bool | None = None,
    is_active: bool | None = None,
) -> Customer:
    """Changes only what is given. A new password logs the customer out everywhere.

    Changing one's own password or email needs the current password, checked
    before anything else: a stolen access token is not enough to take the account
    over, nor to learn which emails are registered (409 `email_taken`).
    """
    # The instance may be the request's cached snapshot: change the row as it is now.
    customer.refresh_from_db()
    changes_email = email is not None and normalize_email(email) != customer.email
    if actor.pk == customer.pk and (password is not None or changes_email):
        _check_current_password(customer, current_password)
    if name is not None:
        customer.name = name.strip()
    if email is not None:
        customer.email = normalize_email(email)
    if is_staff is not None:
        customer.is_staff = is_staff
    if is_active is not None:
        customer.is_active = is_active
    if password is not None:
        customer_password_set(customer, password)
    _save(customer)
    if password is not None:
        _blacklist_refresh_tokens(customer)
    return customer


def _check_current_password(customer: Customer, current_password: str | None) -> None:
    if not current_password:
        raise ValidationError(
            {"current_password": ["Needed to change one's own password or email."]}
        )
    if not customer.check_password(current_password):
        raise ValidationError({"current_password": ["The current password is not correct."]})


def customer_check_changeable(*, actor: Customer, customer: Customer) -> None:
    """Staff manage customers, but only a superuser changes or deletes a superuser."""
    if customer.is_superuser and not actor.is_superuser:
        raise PermissionDenied("Only a superuser may change or delete a superuser.")


def customer_delete(
    *, customer: Customer, actor: Customer | None = None, current_password: str | None = None
) -> None:
    """Erase the customer: delete it and every row that names it (favorites, refresh
    tokens outstanding and revoked, the admin's history about it, its admin sessions,
    and any other model's rows `customer_holdings` finds: its events and their
    deliveries included). Staff access entries stay, pseudonymised. Its cached row goes,
    so its access tokens answer 401 at once. Then one `customer.deleted` event says so,
    carrying the customer's id and nothing else about it (its favorites' removals are not
    announced one by one), so that webhook consumers erase their copies too.

    Deleting oneself needs the current password (`ValidationError` naming
    `current_password`, and nothing changes); staff deleting a customer do not.
    """
    customer.refresh_from_db()
    if actor is not None and actor.pk == customer.pk:
        _check_current_password(customer, current_password)
    customer_id = customer.pk
    with transaction.atomic():
        staff_accesses_pseudonymise(customer_id=customer_id)
        for holding in customer_holdings(customer=customer):
            if holding.label not in PSEUDONYMISED:
                holding.rows.delete()
        if customer.is_staff:
            _sessions_delete(customer_id)
        customer_data_changed(customer_ids=[customer_id])
        customer.delete()
        event_record(type=EventType.CUSTOMER_DELETED, customer_id=customer_id, data={})
    customer_forget(customer_id=customer_id)


def _sessions_delete(customer_id: int) -> None:
    """The admin sessions logged in as the customer (staff only have any)."""
    for session in Session.objects.iterator():
        if session.get_decoded().get("_auth_user_id") == str(customer_id):
            session.delete()


def _blacklist_refresh_tokens(customer: Customer) -> None:
    outstanding = OutstandingToken.objects.filter(user=customer, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


def refresh_token_revoke(*, refresh: RefreshToken, customer: Customer | None = None) -> None:
    """Revokes a refresh token, once: a token already revoked raises `TokenError`.

    The database decides between concurrent uses of one token (rotations and
    logouts alike): each inserts the token's blacklist row, whose unique index
    lets exactly one of them through; the others wait for it and fail.
    """
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=refresh[jwt_settings.JTI_CLAIM],
        defaults={
            "user": customer,
            "token": str(refresh),
            "created_at": refresh.current_time,
            "expires_at": datetime_from_epoch(refresh["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise TokenError("Token is blacklisted") from None


def refresh_token_rotate(*, refresh: RefreshToken, customer: Customer) -> RefreshToken:
    """Revokes a refresh token and returns its successor; of concurrent rotations of one
    token exactly one gets a successor, the others a `TokenError`."""
    with transaction.atomic():
        refresh_token_revoke(refresh=refresh, customer=customer)
        successor = RefreshToken.for_user(customer)
    return successor
