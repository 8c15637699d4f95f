from django.urls import re_path

from favorites import views
from favorites.serializers import PRODUCT_ID_PATTERN

CUSTOMER = r"customers/(?P<customer_id>\d+|me)/favorites/"

favorite_list = views.FavoriteViewSet.as_view({"get": "list", "post": "create"})
favorite_detail = views.FavoriteViewSet.as_view({"get": "retrieve", "delete": "destroy"})

urlpatterns = [
    re_path(rf"^{CUSTOMER}$", favorite_list, name="favorite-list"),
    re_path(
        rf"^{CUSTOMER}(?P<product_id>{PRODUCT_ID_PATTERN})/$",
        favorite_detail,
        name="favorite-detail",
    ),
]
