from django.urls import path

from conversations import files, views

app_name = "conversations"
a = "app/accounts/<int:account_id>/"
c = a + "conversations/<int:display_id>/"
urlpatterns = [
    path(a + "attachments/<int:pk>/", files.serve, name="attachment"),
    path("attachments/shared/<str:token>/", files.serve_shared, name="attachment_shared"),
    path(a + "conversations/", views.WorkspaceView.as_view(), name="workspace"),
    path(a + "conversations/_list/", views.ListPartialView.as_view(), name="list"),
    path(a + "conversations/_counts/", views.CountsPartialView.as_view(), name="counts"),
    path(a + "conversations/_canned/", views.CannedSearchView.as_view(), name="canned_search"),
    path(c, views.WorkspaceView.as_view(), name="conversation"),
    path(c + "_pane/", views.PanePartialView.as_view(), name="pane"),
    path(c + "_messages/", views.MessagesPartialView.as_view(), name="messages"),
    path(c + "reply/", views.ReplyView.as_view(), name="reply"),
    path(c + "assign/", views.AssignView.as_view(), name="assign"),
    path(c + "forward/", views.ForwardView.as_view(), name="forward"),
    path(c + "forward/agents/", views.ForwardAgentsView.as_view(), name="forward_agents"),
    path(c + "status/", views.StatusView.as_view(), name="status"),
    path(c + "snooze/", views.SnoozeView.as_view(), name="snooze"),
    path(c + "mute/", views.MuteView.as_view(), name="mute"),
    path(c + "priority/", views.PriorityView.as_view(), name="priority"),
    path(c + "labels/", views.LabelsView.as_view(), name="labels"),
    path(c + "read/", views.ReadView.as_view(), name="read"),
    path(a + "contacts/", views.ContactListView.as_view(), name="contacts"),
    path(a + "contacts/<int:contact_id>/", views.ContactDetailView.as_view(), name="contact"),
    path(
        a + "contacts/<int:contact_id>/delete/",
        views.ContactDeleteView.as_view(),
        name="contact_delete",
    ),
    path(a + "settings/canned-responses/", views.CannedListView.as_view(), name="canned_responses"),
    path(a + "settings/canned-responses/new/", views.CannedEditView.as_view(), name="canned_new"),
    path(
        a + "settings/canned-responses/<int:pk>/",
        views.CannedEditView.as_view(),
        name="canned_edit",
    ),
    path(
        a + "settings/canned-responses/<int:pk>/delete/",
        views.CannedDeleteView.as_view(),
        name="canned_delete",
    ),
]
