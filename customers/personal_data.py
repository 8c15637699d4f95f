"""Where the service holds data about a customer, found by walking every installed model.

The export and the erasure both read this, so a model another app adds is covered
without either being told about it: any row with a foreign key to the customer, an
integer column named `customer_id` or `user_id` (events kept after their customer), or
a JSON payload naming the customer (`{"customer_id": 7, ...}`) or holding its email.

Staff access records are the one exception: kept for accountability, pseudonymised
(audit.services), never deleted.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast

from customers.models import Customer

# Columns that name a customer without a foreign key.
ID_COLUMNS = frozenset({"customer_id", "user_id"})
# Fields never exported: secrets, not data about the person (a refresh token in an export
# file would be a live credential).
SECRET_FIELDS = frozenset({"password", "token", "session_key", "session_data", "secret"})
# Kept, pseudonymised, on erasure (see the module's docstring).
PSEUDONYMISED = frozenset({"audit.staffaccess"})


@dataclass(frozen=True)
class Holding:
    """Rows of one model that hold data about the customer."""

    model: type[models.Model]
    rows: models.QuerySet

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def _names_customer(model: type[models.Model], customer: Customer) -> Q | None:
    """A filter for the model's rows about the customer; None when it cannot hold any."""
    condition = Q()
    if model is LogEntry:
        # The admin's history of changes to the customer names it in `object_repr`.
        customer_type = ContentType.objects.get_for_model(Customer)
        condition |= Q(content_type=customer_type, object_id=str(customer.pk))
    for field in model._meta.concrete_fields:
        foreign_key = field.is_relation and field.related_model is Customer
        id_column = field.name in ID_COLUMNS and isinstance(field, models.IntegerField)
        if foreign_key or id_column:
            condition |= Q(**{field.name: customer.pk})
        elif isinstance(field, models.JSONField):
            for key in sorted(ID_COLUMNS):
                # The id as a number or as a string (tokens and some payloads write strings).
                condition |= Q(**{f"{field.name}__{key}": customer.pk})
                condition |= Q(**{f"{field.name}__{key}": str(customer.pk)})
    return condition or None


def _json_mentions(model: type[models.Model], email: str) -> Q | None:
    """Rows whose JSON payloads hold the email anywhere."""
    condition = Q()
    for field in model._meta.concrete_fields:
        if isinstance(field, models.JSONField):
            condition |= Q(**{f"_text_{field.name}__icontains": email})
    return condition or None


def customer_holdings(*, customer: Customer) -> Iterator[Holding]:
    """Every model's rows about the customer (the customer's own row aside)."""
    for model in apps.get_models():
        if model is Customer:
            continue
        condition = _names_customer(model, customer)
        rows = model._default_manager.all()
        json_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        if json_fields:
            rows = rows.annotate(
                **{f"_text_{f.name}": Cast(f.name, models.TextField()) for f in json_fields}
            )
            mentions = _json_mentions(model, customer.email)
            if mentions is not None:
                condition = mentions if condition is None else condition | mentions
        if condition is None:
            continue
        yield Holding(model=model, rows=rows.filter(condition))


def exportable_fields(model: type[models.Model]) -> list[models.Field]:
    """A model's fields as the export shows them: no secrets, no link back to the customer."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in SECRET_FIELDS
        and not (field.is_relation and field.related_model is Customer)
    ]
