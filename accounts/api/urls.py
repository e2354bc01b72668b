from django.urls import path

from accounts.api import views

app_urlpatterns = [
    path("profile", views.ProfileView.as_view(), name="api_profile"),
    path(
        "profile/availability",
        views.ProfileAvailabilityView.as_view(),
        name="api_profile_availability",
    ),
    path("accounts/<int:account_id>", views.AccountView.as_view(), name="api_account"),
    path("accounts/<int:account_id>/agents", views.AgentListView.as_view(), name="api_agents"),
    path(
        "accounts/<int:account_id>/agents/<int:pk>",
        views.AgentDetailView.as_view(),
        name="api_agent",
    ),
]

platform_urlpatterns = [
    path("accounts", views.PlatformAccountsView.as_view(), name="platform_accounts"),
    path("users", views.PlatformUsersView.as_view(), name="platform_users"),
    path(
        "accounts/<int:account_id>",
        views.PlatformAccountDetailView.as_view(),
        name="platform_account",
    ),
    path("users/<int:user_id>", views.PlatformUserDetailView.as_view(), name="platform_user"),
    path(
        "users/<int:user_id>/login",
        views.PlatformUserLoginView.as_view(),
        name="platform_user_login",
    ),
    path(
        "accounts/<int:account_id>/account_users",
        views.PlatformAccountUsersView.as_view(),
        name="platform_account_users",
    ),
]
