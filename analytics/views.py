from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions

from analytics.selectors import product_demand_list
from analytics.serializers import ProductDemandQuerySerializer, ProductDemandSerializer
from analytics.services import product_demand_refresh_if_stale
from favorites_project.schema import problem


@extend_schema(
    tags=["stats"],
    parameters=[ProductDemandQuerySerializer],
    responses={
        200: ProductDemandSerializer(many=True),
        400: problem("`ordering` is not one of the figures (`validation_error`)."),
        403: problem("Only staff see the analytics (`permission_denied`)."),
    },
)
class ProductDemandView(generics.ListAPIView):
    """Demand for each favorited product: how many customers have it, how many added it in
    the last 7 and 30 days, and how many of those favorites are now unavailable or
    cheaper than when added. Staff only; no customer data. The figures are recomputed
    when older than `STATS_MAX_AGE` seconds (5 minutes by default): `computed_at` says
    when."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = ProductDemandSerializer

    def get_queryset(self):
        query = ProductDemandQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        product_demand_refresh_if_stale()
        return product_demand_list(**query.validated_data)
