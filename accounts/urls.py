from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("app/accounts/<int:account_id>/", views.AccountHomeView.as_view(), name="account_home"),
    path(
        "app/accounts/<int:account_id>/settings/agents/",
        views.AgentListView.as_view(),
        name="settings_agents",
    ),
    path(
        "app/accounts/<int:account_id>/settings/agents/new/",
        views.AgentCreateView.as_view(),
        name="settings_agent_new",
    ),
    path(
        "app/accounts/<int:account_id>/settings/agents/<int:user_id>/edit/",
        views.AgentEditView.as_view(),
        name="settings_agent_edit",
    ),
    path(
        "app/accounts/<int:account_id>/settings/agents/<int:user_id>/delete/",
        views.AgentDeleteView.as_view(),
        name="settings_agent_delete",
    ),
    path(
        "app/accounts/<int:account_id>/settings/agents/<int:user_id>/resend/",
        views.AgentResendView.as_view(),
        name="settings_agent_resend",
    ),
    path(
        "app/accounts/<int:account_id>/settings/account/",
        views.AccountSettingsView.as_view(),
        name="settings_account",
    ),
    path(
        "app/accounts/<int:account_id>/availability/",
        views.AvailabilityView.as_view(),
        name="availability",
    ),
    path("app/accounts/<int:account_id>/profile/", views.ProfileView.as_view(), name="profile"),
    path("invitation/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("auth/platform/<str:token>/", views.PlatformLoginView.as_view(), name="platform_login"),
    path(
        "invitation/<str:token>/renew/",
        views.InvitationRenewView.as_view(),
        name="invitation_renew",
    ),
]
