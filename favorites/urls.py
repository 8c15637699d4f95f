from django.urls import re_path

from catalog.products import PRODUCT_ID_PATTERN
from favorites import views

CUSTOMER = r"customers/(?P<customer_id>[0-9]+|me)/favorites/"

favorite_list = views.FavoriteViewSet.as_view({"get": "list", "post": "create"})
favorite_detail = views.FavoriteViewSet.as_view({"get": "retrieve", "delete": "destroy"})

urlpatterns = [
    re_path(rf"^{CUSTOMER}$", favorite_list, name="favorite-list"),
    re_path(
        rf"^{CUSTOMER}(?P<product_id>{PRODUCT_ID_PATTERN.pattern})/$",
        favorite_detail,
        name="favorite-detail",
    ),
]
