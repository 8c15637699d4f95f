from django.urls import re_path

from catalog.products import PRODUCT_ID_PATTERN
from favorites import views

CUSTOMER = r"customers/(?P<customer_id>[0-9]+|me)/favorites/"

favorite_list = views.own_lane(views.FavoriteViewSet.as_view({"get": "list", "post": "create"}))
favorite_detail = views.own_lane(
    views.FavoriteViewSet.as_view({"get": "retrieve", "delete": "destroy"})
)
favorite_lookup = views.FavoriteViewSet.as_view({"post": "lookup"})
favorite_batch = views.FavoriteViewSet.as_view({"post": "batch"})
favorite_refresh = views.FavoriteViewSet.as_view({"post": "refresh"})

# lookup/ and batch/ before the detail route, whose product ids they would match.
urlpatterns = [
    re_path(rf"^{CUSTOMER}$", favorite_list, name="favorite-list"),
    re_path(rf"^{CUSTOMER}lookup/$", favorite_lookup, name="favorite-lookup"),
    re_path(rf"^{CUSTOMER}batch/$", favorite_batch, name="favorite-batch"),
    re_path(
        rf"^{CUSTOMER}(?P<product_id>{PRODUCT_ID_PATTERN.pattern})/refresh/$",
        favorite_refresh,
        name="favorite-refresh",
    ),
    re_path(
        rf"^{CUSTOMER}(?P<product_id>{PRODUCT_ID_PATTERN.pattern})/$",
        favorite_detail,
        name="favorite-detail",
    ),
]
