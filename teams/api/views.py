"""`/api/v1/accounts/{account_id}/teams` and `teams/{team_id}/team_members` (Chatwoot's paths)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from accounts.api.serializers import AgentSerializer
from teams import selectors, services
from teams.api.serializers import TeamMembersSerializer, TeamSerializer, TeamWriteSerializer


class TeamListView(AccountAPIView):
    admin_methods = frozenset({"POST"})
    serializer_class = TeamSerializer

    def scoped_queryset(self, account):
        return selectors.teams_list(membership=self.membership)

    @extend_schema(
        operation_id="list-all-teams", tags=["Teams"], responses=TeamSerializer(many=True)
    )
    def get(self, request, account_id: int):
        return Response(TeamSerializer(self.get_queryset(), many=True).data)

    @extend_schema(
        operation_id="create-a-team",
        tags=["Teams"],
        request=TeamWriteSerializer,
        responses=TeamSerializer,
    )
    def post(self, request, account_id: int):
        payload = TeamWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if "name" not in payload.validated_data:
            raise serializers.ValidationError({"name": [_("This field is required.")]})
        team = services.team_create(
            account=self.account, actor=self.membership, **payload.validated_data
        )
        return Response(TeamSerializer(self.get_queryset().get(pk=team.pk)).data)


class TeamDetailView(AccountAPIView):
    admin_methods = frozenset({"PATCH", "DELETE"})
    serializer_class = TeamSerializer

    def scoped_queryset(self, account):
        return selectors.teams_list(membership=self.membership)

    @extend_schema(
        operation_id="get-details-of-a-single-team", tags=["Teams"], responses=TeamSerializer
    )
    def get(self, request, account_id: int, pk: int):
        return Response(TeamSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="update-a-team",
        tags=["Teams"],
        request=TeamWriteSerializer,
        responses=TeamSerializer,
    )
    def patch(self, request, account_id: int, pk: int):
        payload = TeamWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.team_update(
            account=self.account,
            actor=self.membership,
            team=self.get_object(),
            **payload.validated_data,
        )
        return Response(TeamSerializer(self.get_object()).data)

    @extend_schema(operation_id="delete-a-team", tags=["Teams"], responses={200: None})
    def delete(self, request, account_id: int, pk: int):
        services.team_delete(account=self.account, actor=self.membership, team=self.get_object())
        return Response(status=status.HTTP_200_OK)


class TeamMembersView(AccountAPIView):
    admin_methods = frozenset({"POST", "PATCH", "DELETE"})
    serializer_class = AgentSerializer
    lookup_url_kwarg = "team_id"

    def scoped_queryset(self, account):
        return selectors.teams_list(membership=self.membership)

    def _members(self, team):
        return Response(AgentSerializer(selectors.team_members(team=team), many=True).data)

    def _change(self, request, operation):
        team = self.get_object()
        payload = TeamMembersSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        operation(
            account=self.account,
            actor=self.membership,
            team=team,
            user_ids=payload.validated_data["user_ids"],
        )
        return team

    @extend_schema(
        operation_id="get-team-members", tags=["Teams"], responses=AgentSerializer(many=True)
    )
    def get(self, request, account_id: int, team_id: int):
        return self._members(self.get_object())

    @extend_schema(
        operation_id="add-new-agent-to-team",
        tags=["Teams"],
        request=TeamMembersSerializer,
        responses=AgentSerializer(many=True),
    )
    def post(self, request, account_id: int, team_id: int):
        return self._members(self._change(request, services.team_members_add))

    @extend_schema(
        operation_id="update-team-members",
        tags=["Teams"],
        request=TeamMembersSerializer,
        responses=AgentSerializer(many=True),
    )
    def patch(self, request, account_id: int, team_id: int):
        return self._members(self._change(request, services.team_members_set))

    @extend_schema(
        operation_id="delete-agent-in-team",
        tags=["Teams"],
        request=TeamMembersSerializer,
        responses={200: None},
    )
    def delete(self, request, account_id: int, team_id: int):
        self._change(request, services.team_members_remove)
        return Response(status=status.HTTP_200_OK)
