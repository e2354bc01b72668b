from django.urls import path

from inboxes.api import views

urlpatterns = [
    path("accounts/<int:account_id>/inboxes", views.InboxListView.as_view(), name="api_inboxes"),
    path("accounts/<int:account_id>/inboxes/", views.InboxListView.as_view()),
    path(
        "accounts/<int:account_id>/inboxes/<int:pk>",
        views.InboxDetailView.as_view(),
        name="api_inbox",
    ),
    path("accounts/<int:account_id>/inboxes/<int:pk>/", views.InboxDetailView.as_view()),
    path(
        "accounts/<int:account_id>/inbox_members",
        views.InboxMembersView.as_view(),
        name="api_inbox_members",
    ),
    path(
        "accounts/<int:account_id>/inbox_members/<int:inbox_id>",
        views.InboxMembersDetailView.as_view(),
        name="api_inbox_members_detail",
    ),
]
