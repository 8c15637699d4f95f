"""List filters of the favorites changelist."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import F

from customers.models import Customer
from favorites.models import Favorite


class PriceDroppedFilter(admin.SimpleListFilter):
    title = "price since added"
    parameter_name = "price_dropped"

    def lookups(self, request, model_admin):
        return [("yes", "price dropped"), ("no", "price not dropped")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(price__lt=F("price_when_added"))
        if self.value() == "no":
            return queryset.filter(price__gte=F("price_when_added"))
        return queryset


class CustomerAutocompleteFilter(admin.ListFilter):
    """One customer's favorites, picked by typing part of a name or an email (the
    customers admin's search), so the filter stays usable with millions of customers."""

    title = "customer"
    parameter_name = "customer__id__exact"
    template = "admin/favorites/customer_autocomplete_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = params.pop(self.parameter_name, [""])
        value = value[-1] if isinstance(value, list) else value
        self.value = value if str(value).isdigit() else ""
        self.used_parameters = {self.parameter_name: self.value} if self.value else {}
        self.widget = AutocompleteSelect(
            Favorite._meta.get_field("customer"), model_admin.admin_site
        )

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]

    def queryset(self, request, queryset):
        if self.value:
            return queryset.filter(customer_id=int(self.value))
        return queryset

    def choices(self, changelist):
        yield {
            "selected": not self.value,
            "query_string": changelist.get_query_string(remove=[self.parameter_name, "p"]),
            "display": "All",
        }

    def widget_html(self):
        field = forms.ModelChoiceField(
            queryset=Customer.objects.all(), widget=self.widget, required=False
        )
        return field.widget.render(
            "customer_filter",
            self.value or None,
            {"id": "customer-autocomplete-filter", "data-parameter": self.parameter_name},
        )

    @staticmethod
    def widget_media():
        return AutocompleteSelect(Favorite._meta.get_field("customer"), admin.site).media
