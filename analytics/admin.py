from django.contrib import admin

from analytics.models import FIGURES, ProductDemand
from analytics.services import product_demand_refresh_if_stale
from favorites_project.admin import ViewOnlyModelAdmin


@admin.register(ProductDemand)
class ProductDemandAdmin(ViewOnlyModelAdmin):
    """The demand figures of `GET /api/v1/stats/products/`, read-only."""

    list_display = FIGURES
    search_fields = ["product_id", "title", "brand"]
    ordering = ["-customers", "product_id"]
    fields = readonly_fields = FIGURES
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        product_demand_refresh_if_stale()
        return super().changelist_view(request, extra_context)
