"""Schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS by reliability.fuzz).

The fuzzer acts as one account, a customer or a staff member (FUZZ_ROLE), and
every call carries a fresh access token of that account, minted the way the
login view mints them, not through the throttled login endpoint. The account is
kept alive: whatever the last call did to it (deleted it by its id, made it
inactive, took its staff flag, changed its password), the next call finds it
repaired or re-created. Only `DELETE customers/me/` is left out: a re-created
account would answer the next `GET customers/me/`, which the use-after-free
check would rightly call a bug. Deleting any id, its own included, stays in.

The hooks also steer part of the generated data towards what exists, so the
success paths are reached and not only the 404s and 400s: customer ids become
real ones (the acting account's and a superuser's most often), product ids
products the catalog has, refresh tokens valid ones, passwords strong ones,
some logins and `current_password`s the acting account's own. A value that
breaks the schema is left alone, so negative testing is unchanged. Refusals
for rules a JSON schema cannot state are not counted as failures
(`filter_failure`).

Runs in the schemathesis process, on the server's database and settings.
"""

import hashlib
import os
import re
import threading
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "favorites_project.settings")
django.setup()

import schemathesis  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from schemathesis.openapi.checks import RejectedPositiveData  # noqa: E402

from catalog.demo_data import load_records  # noqa: E402
from customers.models import Customer  # noqa: E402
from customers.services import customer_create  # noqa: E402
from customers.views import TokenObtainPairView  # noqa: E402
from favorites.models import Favorite  # noqa: E402

ROLE = os.environ.get("FUZZ_ROLE", "customer")
if ROLE not in ("customer", "staff"):
    raise SystemExit(f"FUZZ_ROLE is customer or staff, not {ROLE!r}")
PASSWORD = "fuzz-Password-of-a-decent-length-42"
# Products the mock catalog serves (the bundled demo data), for adds that succeed.
PRODUCT_IDS = [record["id"] for record in load_records()[:200]]
OTHERS = 12  # other customers, with favorites: what staff may change and a customer must not see
IDS_REFRESH_SECONDS = 2.0
WELL_FORMED_CUSTOMER_ID = re.compile(r"[0-9]+|me")
ANY_TEXT = re.compile(r".*", re.DOTALL)
NON_EMPTY_TEXT = re.compile(r".+", re.DOTALL)
WELL_FORMED_PRODUCT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
WELL_FORMED_PASSWORD = re.compile(r".{1,128}", re.DOTALL)
# A webhook URL the service accepts: https, to a public address (a literal: no DNS). Only
# values the schema allows become one (https://..., at most 2000 characters): the others
# are the fuzzer's invalid data and must stay so.
WEBHOOK_URL = "https://93.184.215.14/hooks/{}"
WELL_FORMED_WEBHOOK_URL = re.compile(r"https://.{0,1992}", re.DOTALL)

_lock = threading.Lock()
_actor_pk: int | None = None
_actor_password_hash = ""
_known_ids: tuple[list[str], float] = ([], 0.0)


def _stable_share(value: object) -> float:
    """A number in [0, 1) fixed by the value: the same draw always maps the same way."""
    digest = hashlib.sha256(repr(value).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _well_formed(pattern: re.Pattern, value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _pick(value: object, choices: list[str]) -> str:
    return choices[int(_stable_share((value, "pick")) * len(choices))]


def _create_actor() -> Customer:
    number = Customer.objects.count()
    return customer_create(
        email=f"fuzz-{ROLE}-{number}-{time.monotonic_ns()}@example.com",
        name=f"Fuzz {ROLE}",
        password=PASSWORD,
        is_staff=ROLE == "staff",
    )


def acting_customer() -> Customer:
    """The account the fuzzer acts as, repaired or re-created if a call broke it."""
    global _actor_pk, _actor_password_hash
    with _lock:
        close_old_connections()
        customer = Customer.objects.filter(pk=_actor_pk).first() if _actor_pk else None
        if customer is None:
            customer = _create_actor()
            _actor_pk, _actor_password_hash = customer.pk, customer.password
        wanted = {"is_active": True, "is_staff": ROLE == "staff", "is_superuser": False}
        changed = [field for field, value in wanted.items() if getattr(customer, field) != value]
        for field in changed:
            setattr(customer, field, wanted[field])
        if customer.password != _actor_password_hash:  # a call changed it: PASSWORD again
            customer.set_password(PASSWORD)
            _actor_password_hash = customer.password
            changed.append("password")
        if changed:
            # save(), not update(): its signal drops the customer the API keeps in its cache.
            customer.save(update_fields=changed)
        return customer


def _tokens(customer: Customer):
    """What the login view would answer for this customer (a refresh token and its access)."""
    return TokenObtainPairView().get_serializer_class().get_token(customer)


def seed() -> None:
    """Other customers with favorites (one a superuser), once per database."""
    if Customer.objects.filter(email__startswith="fuzz-other-").exists():
        return
    for number in range(OTHERS):
        other = customer_create(
            email=f"fuzz-other-{number}@example.com",
            name=f"Other {number}",
            password=PASSWORD,
            is_staff=number == 0,
        )
        if number == 0:
            other.is_superuser = True
            other.save(update_fields=["is_superuser"])
        for product_id in PRODUCT_IDS[number * 3 : number * 3 + 3]:
            Favorite.objects.create(
                customer=other,
                product_id=product_id,
                title=f"Product {product_id}",
                image_url="https://images.example.com/product.jpg",
                price="10.00",
                price_when_added="10.00",
                brand="fuzz",
            )


def _superuser_id() -> str:
    """The seeded superuser's id (staff may not change or delete it, so it stays)."""
    close_old_connections()
    superuser = Customer.objects.filter(is_superuser=True).order_by("pk").first()
    return str(superuser.pk if superuser else acting_customer().pk)


def _customer_ids() -> list[str]:
    """Ids that exist now (the actor's, the others'), read again every few seconds."""
    global _known_ids
    ids, read_at = _known_ids
    if time.monotonic() - read_at > IDS_REFRESH_SECONDS or not ids:
        close_old_connections()
        ids = [str(pk) for pk in Customer.objects.order_by("pk").values_list("pk", flat=True)[:50]]
        _known_ids = (ids, time.monotonic())
    return ids


@schemathesis.auth(refresh_interval=None)
class ActingCustomerAuth:
    """A valid access token of the (repaired) acting account, on every call."""

    def get(self, case, context):
        return str(_tokens(acting_customer()).access_token)

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    """Half of the customer ids the schema allows become ids that exist (the actor's among
    them); product ids become products in that customer's favorites."""
    if not path_parameters:
        return path_parameters
    # customers/{id}/ declares any string, customers/{customer_id}/favorites/ a pattern.
    for name, pattern in (("id", ANY_TEXT), ("customer_id", WELL_FORMED_CUSTOMER_ID)):
        value = path_parameters.get(name)
        if value != "me" and _well_formed(pattern, value) and _stable_share(value) < 0.5:
            # The acting account and the superuser (whom staff may not change) weigh more.
            me, superuser = str(acting_customer().pk), _superuser_id()
            path_parameters[name] = _pick(value, [*_customer_ids(), *[me, superuser] * 4])
    product_id = path_parameters.get("product_id")
    if _well_formed(WELL_FORMED_PRODUCT_ID, product_id) and _stable_share(product_id) < 0.5:
        owner = path_parameters.get("customer_id")
        favorites = _favorite_product_ids(owner) if owner else []
        path_parameters["product_id"] = _pick(product_id, favorites or PRODUCT_IDS)
    return path_parameters


def _favorite_product_ids(customer_ref: str) -> list[str]:
    """The products in this customer's favorites now (`me`: the acting account)."""
    if not _well_formed(WELL_FORMED_CUSTOMER_ID, customer_ref) or len(customer_ref) > 18:
        return []  # not an id, or past PostgreSQL's bigint
    customer_id = acting_customer().pk if customer_ref == "me" else int(customer_ref)
    close_old_connections()
    favorites = Favorite.objects.filter(customer_id=customer_id).order_by("product_id")
    return list(favorites.values_list("product_id", flat=True)[:50])


@schemathesis.hook
def filter_path_parameters(context, path_parameters):
    """No `DELETE customers/me/` (see the module's docstring); every other id stays in."""
    operation = context.operation
    return not (
        operation is not None
        and operation.method.upper() == "DELETE"
        and operation.path.endswith("/customers/{id}/")
        and path_parameters.get("id") == "me"
    )


@schemathesis.hook
def map_body(context, body):
    """Some well-formed values become ones that get past the checks the schema cannot state.

    Some logins become the acting account's own, product ids real products,
    refresh tokens valid ones, passwords strong ones (the password validators refuse
    most drawn ones), `current_password` the acting account's own.
    """
    if not isinstance(body, dict):
        return body
    operation = context.operation
    email = body.get("email")
    if (
        operation is not None
        and operation.path.endswith("/auth/token/")
        and _well_formed(NON_EMPTY_TEXT, email)
        and _well_formed(WELL_FORMED_PASSWORD, body.get("password"))
        and _stable_share(email) < 0.3
    ):
        body["email"], body["password"] = acting_customer().email, PASSWORD
        return body
    password = body.get("password")
    if _well_formed(WELL_FORMED_PASSWORD, password) and _stable_share(password) < 0.5:
        body["password"] = (
            f"Fz-{hashlib.sha256(password.encode('utf-8', 'surrogatepass')).hexdigest()[:20]}"
        )
    current = body.get("current_password")
    if _well_formed(WELL_FORMED_PASSWORD, current) and _stable_share(current) < 0.5:
        body["current_password"] = PASSWORD
    product_id = body.get("product_id")
    if _well_formed(WELL_FORMED_PRODUCT_ID, product_id) and _stable_share(product_id) < 0.5:
        body["product_id"] = _pick(product_id, PRODUCT_IDS)
    add = body.get("add")  # a batch: half of the adds become distinct real products
    if (
        isinstance(add, list)
        and add
        and all(_well_formed(WELL_FORMED_PRODUCT_ID, item) for item in add)
        and _stable_share(tuple(add)) < 0.5
    ):
        start = int(_stable_share((tuple(add), "start")) * (len(PRODUCT_IDS) - len(add)))
        removed = set(body.get("remove") or [])
        body["add"] = [pid for pid in PRODUCT_IDS[start : start + len(add)] if pid not in removed]
    refresh = body.get("refresh")
    if isinstance(refresh, str) and refresh and _stable_share(refresh) < 0.5:
        body["refresh"] = str(_tokens(acting_customer()))
    url = body.get("url")
    if (
        operation is not None
        and "/webhooks/" in operation.path
        and _well_formed(WELL_FORMED_WEBHOOK_URL, url)
        and _stable_share(url) < 0.5
    ):
        digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        body["url"] = WEBHOOK_URL.format(digest)
    return body


# Rules a JSON schema cannot state, so a schema-valid value may break them: the password
# validators (too short, common, numeric, like the name or email, spaces only), the current
# password being needed (to change one's own password or email) and right, no NUL
# character in any text field, a batch's two lists together (at most 100 ids, none in
# both), and a webhook URL's host resolving to public addresses only (with a port in
# range, no user name).
RULES_BEYOND_THE_SCHEMA = re.compile(
    r"^(At most 100 ids in add and remove together"
    r"|Ids in both add and remove"
    r"|This password is (too short|too common|entirely numeric)"
    r"|The host .* (does not resolve|resolves to an address that is not public)"
    r"|A webhook URL (names a host|carries no user name)"
    r"|Not a valid URL"
    r"|The password is too similar to the"
    r"|The password cannot be made of spaces only"
    r"|The current password is not correct"
    r"|Needed to change one's own password or email"
    r"|Null characters are not allowed)"
)


def _error_messages(errors) -> list[str]:
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        errors = list(errors.values())
    if isinstance(errors, list):
        return [message for item in errors for message in _error_messages(item)]
    return [repr(errors)]


def _gunicorn_refused_the_request_line(response) -> bool:
    """gunicorn's own 414 for a request line past `limit_request_line` (gunicorn.conf.py).

    It answers before Django sees the request, with a page of its own, so the schema
    cannot describe it. The fuzzer reaches it with over-long query values.
    """
    return response.status_code == 414 and b"Request Line is too large" in response.content


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """A schema-valid request refused only for a rule the schema cannot state is no failure,
    and neither is gunicorn's own answer to an over-long request line.

    Anything else in the same 400 (a field the schema should have described) still is.
    """
    if _gunicorn_refused_the_request_line(response):
        return False
    if isinstance(failure, RejectedPositiveData) and response.status_code == 400:
        try:
            messages = _error_messages(response.json().get("errors"))
        except (ValueError, AttributeError):
            return True
        if messages and all(RULES_BEYOND_THE_SCHEMA.match(message) for message in messages):
            return False
    return True


seed()
