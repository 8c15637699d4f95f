from django.urls import path
from rest_framework.routers import SimpleRouter

from customers import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenObtainPairView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/token/blacklist/", views.TokenBlacklistView.as_view(), name="auth-token-blacklist"),
    *router.urls,
]
