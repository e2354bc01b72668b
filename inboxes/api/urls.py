from django.urls import path, re_path

from inboxes.api import views

# Chatwoot's description writes some inbox paths with a trailing slash (`/inboxes/`,
# `/inboxes/{id}/`) and its clients use both forms: one route accepts either, so the schema
# lists each operation once.
urlpatterns = [
    re_path(
        r"^accounts/(?P<account_id>[0-9]+)/inboxes/?$",
        views.InboxListView.as_view(),
        name="api_inboxes",
    ),
    re_path(
        r"^accounts/(?P<account_id>[0-9]+)/inboxes/(?P<pk>[0-9]+)/?$",
        views.InboxDetailView.as_view(),
        name="api_inbox",
    ),
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
