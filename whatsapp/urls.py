from django.urls import path

from whatsapp import views

app_name = "whatsapp"
base = "app/accounts/<int:account_id>/settings/inboxes/"
urlpatterns = [
    path(base + "new/whatsapp/", views.WhatsAppInboxCreateView.as_view(), name="inbox_new"),
    path(base + "<int:inbox_id>/whatsapp/", views.WhatsAppTabView.as_view(), name="inbox"),
]
