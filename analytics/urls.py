from django.urls import path

from analytics import views

urlpatterns = [
    path("stats/products/", views.ProductDemandView.as_view(), name="stats-products"),
]
