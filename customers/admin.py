from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db import transaction
from django.utils.html import format_html

from audit.admin_mixins import StaffAccessAuditMixin
from customers.models import Customer, normalize_email
from customers.services import customer_delete
from favorites.admin import FavoriteInline, customer_favorites_url


class CustomerCreationForm(BaseUserCreationForm):
    class Meta:
        model = Customer
        fields = ("email", "name")

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])


class CustomerChangeForm(UserChangeForm):
    class Meta:
        model = Customer
        fields = "__all__"

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("The name cannot be blank.")
        return name


@admin.register(Customer)
class CustomerAdmin(StaffAccessAuditMixin, UserAdmin):
    form = CustomerChangeForm
    add_form = CustomerCreationForm
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "is_superuser", "date_joined"]
    search_fields = ["name", "email"]
    ordering = ["id"]
    readonly_fields = ["date_joined", "last_login", "all_favorites"]
    inlines = [FavoriteInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
        ("Favorites", {"fields": ["all_favorites"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "name", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def audit_subject_id(self, customer: Customer) -> int:
        return customer.pk

    def user_change_password(self, request, id, form_url=""):
        if request.method == "POST":
            self.audit_change(request, [int(id)] if str(id).isdigit() else [])
        return super().user_change_password(request, id, form_url)

    # Deleting a customer is its erasure (customers.services.customer_delete), here too.
    def delete_model(self, request, customer: Customer) -> None:
        customer_delete(customer=customer)

    def delete_queryset(self, request, queryset) -> None:
        self.audit_change(request, queryset.values_list("pk", flat=True))
        with transaction.atomic():
            for customer in queryset:
                customer_delete(customer=customer)

    @admin.display(description="favorites")
    def all_favorites(self, customer: Customer) -> str:
        if customer.pk is None:
            return "-"
        return format_html(
            '<a href="{}">All of this customer\'s favorites</a> ({})',
            customer_favorites_url(customer.pk),
            customer.favorites.count(),
        )
