from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from favorites.models import API_FIELDS, Favorite
from favorites.services import favorites_delete


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin):
    """Favorites are added through the API, which checks the product with the catalog;
    the admin shows them and may remove them, but never edits a snapshot."""

    list_display = [
        "product_id",
        "customer_email",
        "title",
        "price",
        "price_when_added",
        "available",
        "created_at",
    ]
    list_select_related = ["customer"]
    list_filter = ["available", "created_at"]
    search_fields = ["product_id", "title", "customer__email"]
    ordering = ["-created_at", "-id"]
    fields = readonly_fields = ("customer", *API_FIELDS)
    show_full_result_count = False

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, favorite: Favorite) -> str:
        return favorite.customer.email

    def has_add_permission(self, request):
        return False

    # Deletes go through the service, so the lists' ETags change with them.
    def delete_model(self, request, favorite: Favorite) -> None:
        favorites_delete(favorites=Favorite.objects.filter(pk=favorite.pk))

    def delete_queryset(self, request, queryset) -> None:
        favorites_delete(favorites=queryset)


class LatestFavoritesFormSet(BaseInlineFormSet):
    """Only the newest favorites, so a customer with thousands still opens quickly."""

    limit = 50

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset().order_by("-created_at", "-id")[: self.limit]
        return self._latest


class FavoriteInline(admin.TabularInline):
    model = Favorite
    formset = LatestFavoritesFormSet
    verbose_name_plural = f"favorites (the latest {LatestFavoritesFormSet.limit})"
    fields = readonly_fields = (
        "product_id",
        "title",
        "price",
        "price_when_added",
        "available",
        "created_at",
    )
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False
