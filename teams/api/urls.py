from django.urls import path

from teams.api import views

urlpatterns = [
    path("accounts/<int:account_id>/teams", views.TeamListView.as_view(), name="api_teams"),
    path(
        "accounts/<int:account_id>/teams/<int:pk>", views.TeamDetailView.as_view(), name="api_team"
    ),
    path(
        "accounts/<int:account_id>/teams/<int:team_id>/team_members",
        views.TeamMembersView.as_view(),
        name="api_team_members",
    ),
]
