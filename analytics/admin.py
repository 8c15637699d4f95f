from django.contrib import admin

from analytics.models import ProductDemand
from analytics.services import product_demand_refresh_if_stale

FIGURES = (
    "product_id",
    "title",
    "brand",
    "customers",
    "last_7_days",
    "last_30_days",
    "unavailable",
    "cheaper_than_added",
    "computed_at",
)


@admin.register(ProductDemand)
class ProductDemandAdmin(admin.ModelAdmin):
    """The demand figures of `GET /api/v1/stats/products/`, read-only."""

    list_display = FIGURES
    search_fields = ["product_id", "title", "brand"]
    ordering = ["-customers", "product_id"]
    fields = readonly_fields = FIGURES
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        product_demand_refresh_if_stale()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
