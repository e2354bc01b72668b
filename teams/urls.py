from django.urls import path

from teams import views

app_name = "teams"
base = "app/accounts/<int:account_id>/settings/teams/"
urlpatterns = [
    path(base, views.TeamListView.as_view(), name="list"),
    path(base + "new/", views.TeamCreateView.as_view(), name="new"),
    path(base + "<int:team_id>/", views.TeamEditView.as_view(), name="edit"),
    path(base + "<int:team_id>/delete/", views.TeamDeleteView.as_view(), name="delete"),
]
