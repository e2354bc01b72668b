"""Application API (`/api/v1/…`) and Platform API (`/platform/api/v1/…`) for accounts.

Views are thin: validate the payload, call a service or selector, serialize.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, status
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.authentication import PlatformTokenAuthentication
from accounts.api.base import AccountAPIView
from accounts.api.serializers import (
    AccountSerializer,
    AccountShowSerializer,
    AccountUpdateSerializer,
    AccountUserCreateSerializer,
    AccountUserDeleteSerializer,
    AccountUserSerializer,
    AgentCreateSerializer,
    AgentSerializer,
    AgentUpdateSerializer,
    PlatformAccountCreateSerializer,
    PlatformAccountUpdateSerializer,
    PlatformUserCreateSerializer,
    PlatformUserUpdateSerializer,
    ProfileUpdateSerializer,
    UserSerializer,
)
from accounts.models import PlatformApp
from nexloo.core.errors import NotFound
from nexloo.core.links import absolute_url


def user_payload(user) -> dict:
    memberships = list(selectors.memberships_of(user=user))
    return UserSerializer(
        user,
        context={"memberships": memberships, "confirmed": services.user_is_verified(user)},
    ).data


class ProfileView(APIView):
    @extend_schema(operation_id="fetchProfile", responses=UserSerializer, tags=["Profile"])
    def get(self, request):
        return Response(user_payload(request.user))

    @extend_schema(
        operation_id="updateProfile",
        request=ProfileUpdateSerializer,
        responses=UserSerializer,
        tags=["Profile"],
    )
    def put(self, request):
        return profile_update(request)

    patch = put


def profile_update(request) -> Response:
    body = request.data.get("profile", request.data) if hasattr(request.data, "get") else {}
    payload = ProfileUpdateSerializer(data=body)
    payload.is_valid(raise_exception=True)
    data = dict(payload.validated_data)
    availability = data.pop("availability", None)
    account_id = data.pop("account_id", None)
    if availability is not None:
        memberships = list(selectors.memberships_of(user=request.user))
        if account_id is not None:
            memberships = [m for m in memberships if m.account_id == account_id]
            if not memberships:
                raise NotFound()
        for membership in memberships:
            services.availability_set(
                account=membership.account, membership=membership, availability=availability
            )
    if data:
        services.user_update(user=request.user, **data)
    request.user.refresh_from_db()
    return Response(user_payload(request.user))


class ProfileAvailabilityView(APIView):
    """Chatwoot's `POST /api/v1/profile/availability` (`{profile: {availability, account_id}}`)."""

    @extend_schema(
        operation_id="updateProfileAvailability",
        request=ProfileUpdateSerializer,
        responses=UserSerializer,
        tags=["Profile"],
    )
    def post(self, request):
        return profile_update(request)


class AccountView(AccountAPIView):
    admin_methods = frozenset({"PATCH"})
    serializer_class = AccountSerializer

    def scoped_queryset(self, account):
        return type(account).objects.filter(pk=account.pk)

    @extend_schema(
        operation_id="get-account-details", tags=["Account"], responses=AccountShowSerializer
    )
    def get(self, request, account_id: int):
        return Response(AccountShowSerializer(self.account).data)

    @extend_schema(
        operation_id="update-account",
        tags=["Account"],
        request=AccountUpdateSerializer,
        responses=AccountSerializer,
    )
    def patch(self, request, account_id: int):
        payload = AccountUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        account = services.account_update(
            account=self.account, actor=self.membership, **payload.validated_data
        )
        return Response(AccountSerializer(account).data)


class AgentListView(AccountAPIView):
    admin_methods = frozenset({"POST"})
    serializer_class = AgentSerializer

    def scoped_queryset(self, account):
        return selectors.agents_list(membership=self.membership)

    @extend_schema(
        operation_id="get-account-agents", tags=["Agents"], responses=AgentSerializer(many=True)
    )
    def get(self, request, account_id: int):
        return Response(AgentSerializer(self.get_queryset(), many=True).data)

    @extend_schema(
        operation_id="add-new-agent-to-account",
        tags=["Agents"],
        request=AgentCreateSerializer,
        responses=AgentSerializer,
    )
    def post(self, request, account_id: int):
        payload = AgentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        membership = services.agent_add(
            account=self.account,
            actor=self.membership,
            name=data["name"],
            email=data["email"],
            role=data["role"],
            availability=data.get("availability", "offline"),
            auto_offline=data["auto_offline"],
        )
        agent = selectors.agent_get(membership=self.membership, user_id=membership.user_id)
        return Response(AgentSerializer(agent).data, status=status.HTTP_200_OK)


class AgentDetailView(AccountAPIView):
    admin_methods = frozenset({"PATCH", "DELETE"})
    serializer_class = AgentSerializer
    lookup_field = "user_id"

    def scoped_queryset(self, account):
        return selectors.agents_list(membership=self.membership)

    @extend_schema(
        operation_id="update-agent-in-account",
        tags=["Agents"],
        request=AgentUpdateSerializer,
        responses=AgentSerializer,
    )
    def patch(self, request, account_id: int, pk: int):
        agent = self.get_object()
        payload = AgentUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.agent_update(
            account=self.account,
            actor=self.membership,
            membership=agent,
            name=data.get("name"),
            role=data.get("role"),
            availability=data.get("availability"),
            auto_offline=data.get("auto_offline"),
        )
        agent = selectors.agent_get(membership=self.membership, user_id=agent.user_id)
        return Response(AgentSerializer(agent).data)

    @extend_schema(operation_id="delete-agent-from-account", tags=["Agents"], responses={200: None})
    def delete(self, request, account_id: int, pk: int):
        services.agent_remove(
            account=self.account, actor=self.membership, membership=self.get_object()
        )
        return Response(status=status.HTTP_200_OK)


# --- Platform API ----------------------------------------------------------------------------


class PlatformAPIView(APIView):
    authentication_classes = [PlatformTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @property
    def app(self) -> PlatformApp:
        return self.request.user


class PlatformAccountsView(PlatformAPIView):
    @extend_schema(
        operation_id="create-an-account",
        tags=["Platform"],
        request=PlatformAccountCreateSerializer,
        responses=AccountSerializer,
    )
    def post(self, request):
        payload = PlatformAccountCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        account = services.platform_account_create(app=self.app, **payload.validated_data)
        return Response(AccountSerializer(account).data)


class PlatformUsersView(PlatformAPIView):
    @extend_schema(
        operation_id="create-a-user",
        tags=["Platform"],
        request=PlatformUserCreateSerializer,
        responses=UserSerializer,
    )
    def post(self, request):
        payload = PlatformUserCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        new = services.platform_user_create(app=self.app, **payload.validated_data)
        body = user_payload(new.user)
        body["access_token"] = new.api_access_token  # shown once, at creation
        return Response(body)


class PlatformAccountDetailView(PlatformAPIView):
    @extend_schema(
        operation_id="get-details-of-an-account", tags=["Platform"], responses=AccountSerializer
    )
    def get(self, request, account_id: int):
        account = selectors.platform_account_get(app=self.app, account_id=account_id)
        return Response(AccountSerializer(account).data)

    @extend_schema(
        operation_id="update-an-account",
        tags=["Platform"],
        request=PlatformAccountUpdateSerializer,
        responses=AccountSerializer,
    )
    def patch(self, request, account_id: int):
        account = selectors.platform_account_get(app=self.app, account_id=account_id)
        payload = PlatformAccountUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        account = services.platform_account_update(
            app=self.app, account=account, **payload.validated_data
        )
        return Response(AccountSerializer(account).data)

    @extend_schema(
        operation_id="delete-an-account",
        tags=["Platform"],
        request=None,
        responses={200: OpenApiResponse(description="Deleted")},
    )
    def delete(self, request, account_id: int):
        account = selectors.platform_account_get(app=self.app, account_id=account_id)
        services.platform_account_delete(app=self.app, account=account)
        return Response(status=status.HTTP_200_OK)


class PlatformUserDetailView(PlatformAPIView):
    @extend_schema(
        operation_id="get-details-of-a-user", tags=["Platform"], responses=UserSerializer
    )
    def get(self, request, user_id: int):
        user = selectors.platform_user_get(app=self.app, user_id=user_id)
        return Response(user_payload(user))

    @extend_schema(
        operation_id="update-a-user",
        tags=["Platform"],
        request=PlatformUserUpdateSerializer,
        responses=UserSerializer,
    )
    def patch(self, request, user_id: int):
        user = selectors.platform_user_get(app=self.app, user_id=user_id)
        payload = PlatformUserUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.platform_user_update(app=self.app, user=user, **payload.validated_data)
        return Response(user_payload(user))

    @extend_schema(
        operation_id="delete-a-user",
        tags=["Platform"],
        request=None,
        responses={200: OpenApiResponse(description="Deleted")},
    )
    def delete(self, request, user_id: int):
        user = selectors.platform_user_get(app=self.app, user_id=user_id)
        services.platform_user_delete(app=self.app, user=user)
        return Response(status=status.HTTP_200_OK)


class PlatformUserLoginView(PlatformAPIView):
    """Chatwoot's users/{id}/login: a sign-in link for the platform to hand to its user, valid
    once and for five minutes."""

    @extend_schema(
        operation_id="get-user-sso-link",
        tags=["Platform"],
        responses=inline_serializer("PlatformLoginLink", {"url": drf_serializers.URLField()}),
    )
    def get(self, request, user_id: int):
        user = selectors.platform_user_get(app=self.app, user_id=user_id)
        token = services.platform_login_token(app=self.app, user=user)
        return Response({"url": absolute_url(reverse("platform_login", args=[token]))})


class PlatformAccountUsersView(PlatformAPIView):
    @extend_schema(
        operation_id="list-all-account-users",
        tags=["Platform"],
        responses=AccountUserSerializer(many=True),
    )
    def get(self, request, account_id: int):
        account = selectors.platform_account_get(app=self.app, account_id=account_id)
        rows = selectors.platform_account_users(account=account)
        return Response(AccountUserSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="create-an-account-user",
        tags=["Platform"],
        request=AccountUserCreateSerializer,
        responses=AccountUserSerializer,
    )
    def post(self, request, account_id: int):
        account = selectors.platform_account_get(app=self.app, account_id=account_id)
        payload = AccountUserCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = selectors.platform_user_get(app=self.app, user_id=payload.validated_data["user_id"])
        membership = services.platform_account_user_add(
            app=self.app, account=account, user=user, role=payload.validated_data["role"]
        )
        return Response(AccountUserSerializer(membership).data)

    @extend_schema(
        operation_id="delete-an-account-user",
        tags=["Platform"],
        request=AccountUserDeleteSerializer,
        responses={200: OpenApiResponse(description="Removed")},
    )
    def delete(self, request, account_id: int):
        account = selectors.platform_account_get(app=self.app, account_id=account_id)
        payload = AccountUserDeleteSerializer(data=request.data or request.query_params)
        payload.is_valid(raise_exception=True)
        user = selectors.platform_user_get(app=self.app, user_id=payload.validated_data["user_id"])
        services.platform_account_user_remove(app=self.app, account=account, user=user)
        return Response(status=status.HTTP_200_OK)
