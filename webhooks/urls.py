from django.urls import path

from webhooks import views

app_name = "webhooks"
base = "app/accounts/<int:account_id>/settings/webhooks/"
urlpatterns = [
    path(base, views.WebhookListView.as_view(), name="list"),
    path(base + "new/", views.WebhookEditView.as_view(), name="new"),
    path(base + "<int:pk>/", views.WebhookEditView.as_view(), name="edit"),
    path(base + "<int:pk>/delete/", views.WebhookDeleteView.as_view(), name="delete"),
    # The API channel's webhook, a tab of its inbox's page.
    path(
        "app/accounts/<int:account_id>/settings/inboxes/<int:inbox_id>/webhook/",
        views.InboxWebhookView.as_view(),
        name="inbox",
    ),
]
