from django.urls import path

from automations import views

app_name = "automations"
base = "app/accounts/<int:account_id>/settings/automation/"
urlpatterns = [
    path(base, views.RuleListView.as_view(), name="list"),
    path(base + "new/", views.RuleCreateView.as_view(), name="new"),
    path(base + "rows/condition/", views.ConditionRowView.as_view(), name="condition_row"),
    path(base + "rows/action/", views.ActionRowView.as_view(), name="action_row"),
    path(base + "<int:rule_id>/", views.RuleDetailView.as_view(), name="detail"),
    path(base + "<int:rule_id>/edit/", views.RuleEditView.as_view(), name="edit"),
    path(base + "<int:rule_id>/clone/", views.RuleCloneView.as_view(), name="clone"),
    path(base + "<int:rule_id>/toggle/", views.RuleToggleView.as_view(), name="toggle"),
    path(base + "<int:rule_id>/delete/", views.RuleDeleteView.as_view(), name="delete"),
]
