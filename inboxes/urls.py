from django.urls import path

from inboxes import views

app_name = "inboxes"
base = "app/accounts/<int:account_id>/settings/inboxes/"
urlpatterns = [
    path(base, views.InboxListView.as_view(), name="list"),
    path(base + "new/", views.InboxCreateView.as_view(), name="new"),
    path(base + "<int:inbox_id>/", views.InboxSettingsView.as_view(), name="settings"),
    path(base + "<int:inbox_id>/members/", views.InboxMembersView.as_view(), name="members"),
    path(base + "<int:inbox_id>/hours/", views.InboxHoursView.as_view(), name="hours"),
    path(base + "<int:inbox_id>/delete/", views.InboxDeleteView.as_view(), name="delete"),
]
