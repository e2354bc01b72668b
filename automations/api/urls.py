from django.urls import path

from automations.api import filters, views

urlpatterns = [
    path(
        "accounts/<int:account_id>/conversations/filter",
        filters.ConversationFilterView.as_view(),
        name="api_conversations_filter",
    ),
    path(
        "accounts/<int:account_id>/contacts/filter",
        filters.ContactFilterView.as_view(),
        name="api_contacts_filter",
    ),
    path(
        "accounts/<int:account_id>/automation_rules",
        views.AutomationRuleListView.as_view(),
        name="api_automation_rules",
    ),
    path(
        "accounts/<int:account_id>/automation_rules/<int:pk>",
        views.AutomationRuleDetailView.as_view(),
        name="api_automation_rule",
    ),
    path(
        "accounts/<int:account_id>/automation_rules/<int:pk>/clone",
        views.AutomationRuleCloneView.as_view(),
        name="api_automation_rule_clone",
    ),
]
