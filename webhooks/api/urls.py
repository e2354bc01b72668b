from django.urls import path

from webhooks.api import views

urlpatterns = [
    path(
        "accounts/<int:account_id>/webhooks",
        views.WebhookListView.as_view(),
        name="api_webhooks",
    ),
    path(
        "accounts/<int:account_id>/webhooks/<int:webhook_id>",
        views.WebhookDetailView.as_view(),
        name="api_webhook",
    ),
]
