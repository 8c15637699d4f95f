from django.urls import path
from rest_framework.routers import SimpleRouter

from events import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("events/", views.EventListView.as_view(), name="event-list"),
    *router.urls,
]
