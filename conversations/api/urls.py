from django.urls import path

from conversations.api import views

c = "accounts/<int:account_id>/conversations/<int:conversation_id>"
urlpatterns = [
    path(
        "accounts/<int:account_id>/conversations",
        views.ConversationListView.as_view(),
        name="api_conversations",
    ),
    path(
        "accounts/<int:account_id>/conversations/meta",
        views.ConversationMetaView.as_view(),
        name="api_conversations_meta",
    ),
    path(c, views.ConversationDetailView.as_view(), name="api_conversation"),
    path(
        c + "/toggle_status",
        views.ToggleStatusView.as_view(),
        name="api_conversation_toggle_status",
    ),
    path(
        c + "/toggle_priority",
        views.TogglePriorityView.as_view(),
        name="api_conversation_toggle_priority",
    ),
    path(c + "/mute", views.MuteView.as_view(), name="api_conversation_mute"),
    path(c + "/unmute", views.UnmuteView.as_view(), name="api_conversation_unmute"),
    path(c + "/assignments", views.AssignmentsView.as_view(), name="api_conversation_assignments"),
    path(c + "/labels", views.ConversationLabelsView.as_view(), name="api_conversation_labels"),
    path(
        c + "/update_last_seen", views.ConversationReadView.as_view(), name="api_conversation_read"
    ),
    path(c + "/messages", views.MessagesView.as_view(), name="api_messages"),
    path(c + "/messages/<int:message_id>", views.MessageDetailView.as_view(), name="api_message"),
    path(
        "accounts/<int:account_id>/contacts", views.ContactListView.as_view(), name="api_contacts"
    ),
    path(
        "accounts/<int:account_id>/contacts/search",
        views.ContactSearchView.as_view(),
        name="api_contacts_search",
    ),
    path(
        "accounts/<int:account_id>/contacts/<int:pk>",
        views.ContactDetailView.as_view(),
        name="api_contact",
    ),
    path(
        "accounts/<int:account_id>/contacts/<int:pk>/conversations",
        views.ContactConversationsView.as_view(),
        name="api_contact_conversations",
    ),
    path(
        "accounts/<int:account_id>/contacts/<int:pk>/contact_inboxes",
        views.ContactInboxesView.as_view(),
        name="api_contact_inboxes",
    ),
    path(
        "accounts/<int:account_id>/contacts/<int:pk>/contactable_inboxes",
        views.ContactableInboxesView.as_view(),
        name="api_contactable_inboxes",
    ),
    path(
        "accounts/<int:account_id>/contacts/<int:pk>/labels",
        views.ContactLabelsView.as_view(),
        name="api_contact_labels",
    ),
    path(
        "accounts/<int:account_id>/canned_responses",
        views.CannedResponseListView.as_view(),
        name="api_canned_responses",
    ),
    path(
        "accounts/<int:account_id>/canned_responses/<int:pk>",
        views.CannedResponseDetailView.as_view(),
        name="api_canned_response",
    ),
]
