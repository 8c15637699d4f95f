from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from favorites.models import Favorite

SNAPSHOT_FIELDS = [
    "title",
    "image_url",
    "price",
    "review_score",
    "brand",
    "price_when_added",
    "available",
    "created_at",
    "refreshed_at",
]


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
    fields = ["customer", "product_id", *SNAPSHOT_FIELDS]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, favorite: Favorite) -> str:
        return favorite.customer.email

    def has_add_permission(self, request):
        return False


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
    fields = ["product_id", "title", "price", "price_when_added", "available", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False
