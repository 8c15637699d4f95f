from django.db.models import Q, QuerySet
from django.http import Http404

from customers.cache import customer_get_cached
from customers.models import Customer

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
