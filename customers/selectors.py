from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from customers.cache import customer_get_cached
from customers.models import Customer
from customers.personal_data import customer_holdings, exportable_fields

ME = "me"


def customer_list(*, actor: Customer, search: str = "") -> QuerySet[Customer]:
    """Staff see every customer; a customer sees only itself."""
    customers = Customer.objects.order_by("id")
    if not actor.is_staff:
        customers = customers.filter(pk=actor.pk)
    if search:
        customers = customers.filter(Q(name__icontains=search) | Q(email__icontains=search))
    return customers


def customer_get_for(*, actor: Customer, customer_ref: str) -> Customer:
    """The customer `customer_ref` ("me" or an id) names, if `actor` may see it.

    Anyone else's id is 404, never 403, so ids do not leak who exists.
    """
    if customer_ref == ME or str(actor.pk) == customer_ref:
        return actor
    if not actor.is_staff:
        raise Http404
    customer = customer_get_cached(customer_id=int(customer_ref))
    if customer is None:
        raise Http404
    return customer


PROFILE_FIELDS = ("id", "name", "email", "is_staff", "is_active", "date_joined", "last_login")


def customer_export(*, customer: Customer) -> dict:
    """Everything the service holds about the customer, as JSON-ready data: the profile
    (no password hash), then each model's rows about it (`customer_holdings`; no token
    strings, no link back to the customer)."""
    customer = Customer.objects.get(pk=customer.pk)
    records = {}
    for holding in customer_holdings(customer=customer):
        fields = exportable_fields(holding.model)
        rows = holding.rows.order_by("pk").values_list(*(field.attname for field in fields))
        records[holding.label] = [
            {field.name: _plain(value) for field, value in zip(fields, row, strict=True)}
            for row in rows
        ]
    return {
        "exported_at": timezone.now().isoformat(),
        "customer": {name: _plain(getattr(customer, name)) for name in PROFILE_FIELDS},
        "records": records,
    }


_ENCODER = DjangoJSONEncoder()


def _plain(value: object) -> object:
    """A value as JSON has it (dates, decimals and UUIDs as Django's JSON encoder writes them)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return _ENCODER.default(value)
