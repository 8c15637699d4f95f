from django.core.management.base import BaseCommand

from analytics.services import product_demand_refresh


class Command(BaseCommand):
    help = (
        "Recompute the demand figures (GET /api/v1/stats/products/) now; reads also do it "
        "when they find them older than STATS_MAX_AGE seconds."
    )

    def handle(self, *args, **options):
        product_demand_refresh()
        self.stdout.write("Product demand recomputed.")
