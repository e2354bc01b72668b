"""`/api/v1/accounts/{account_id}/inboxes` and `inbox_members`, as Chatwoot has them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from accounts.api.serializers import AgentSerializer
from inboxes import selectors, services
from inboxes.api.serializers import (
    InboxMembersSerializer,
    InboxSerializer,
    InboxWriteSerializer,
    schedule_errors,
)
from inboxes.extensions import channel_apis, channel_payloads

InboxListResponse = inline_serializer("InboxList", {"payload": InboxSerializer(many=True)})


def _context(view, inboxes) -> dict:
    """The channels' own fields for these inboxes (one query per channel type present)."""
    return {
        "channels": channel_payloads(list(inboxes), administrator=view.membership.is_administrator)
    }


def _inbox_payload(view, inbox_id: int) -> dict:
    inbox = selectors.inbox_get(membership=view.membership, inbox_id=inbox_id)
    return InboxSerializer(inbox, context=_context(view, [inbox])).data


def _apply_channel(view, inbox, payload: InboxWriteSerializer, *, creating: bool) -> None:
    channel = payload.validated_data.get("channel")
    api = channel_apis.get(inbox.channel_type)
    if api is None:
        return
    if creating:
        api.create(account=view.account, actor=view.membership, inbox=inbox, channel=channel or {})
    elif channel:
        api.update(account=view.account, actor=view.membership, inbox=inbox, channel=channel)


AgentListResponse = inline_serializer("InboxAgentList", {"payload": AgentSerializer(many=True)})


def _apply_hours(view, inbox, payload: InboxWriteSerializer) -> None:
    data = payload.validated_data
    if "working_hours" not in data and "working_hours_exceptions" not in data:
        return
    exceptions = None
    if "working_hours_exceptions" in data:
        exceptions = {
            item["date"]: (item["hours"], item.get("note", ""))
            for item in data["working_hours_exceptions"]
        }
    try:
        services.inbox_schedule_set(
            account=view.account,
            actor=view.membership,
            inbox=inbox,
            weekly={i["day_of_week"]: i["hours"] for i in data.get("working_hours", [])},
            exceptions=exceptions,
            partial=True,
        )
    except ValidationError as exc:
        raise schedule_errors(exc) from exc


class InboxListView(AccountAPIView):
    admin_methods = frozenset({"POST"})
    serializer_class = InboxSerializer

    def scoped_queryset(self, account):
        return selectors.inboxes_list(membership=self.membership)

    @extend_schema(operation_id="listAllInboxes", tags=["Inboxes"], responses=InboxListResponse)
    def get(self, request, account_id: int):
        inboxes = list(self.get_queryset())
        return Response(
            {"payload": InboxSerializer(inboxes, many=True, context=_context(self, inboxes)).data}
        )

    @extend_schema(
        operation_id="inboxCreation",
        tags=["Inboxes"],
        request=InboxWriteSerializer,
        responses=InboxSerializer,
    )
    def post(self, request, account_id: int):
        payload = InboxWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        settings = payload.settings()
        if "name" not in settings:
            raise serializers.ValidationError({"name": [_("This field is required.")]})
        with transaction.atomic():
            inbox = services.inbox_create(
                account=self.account,
                actor=self.membership,
                channel_type=payload.channel_type(),
                **settings,
            )
            _apply_channel(self, inbox, payload, creating=True)
            _apply_hours(self, inbox, payload)
        return Response(_inbox_payload(self, inbox.pk))


class InboxDetailView(AccountAPIView):
    admin_methods = frozenset({"PATCH", "DELETE"})
    serializer_class = InboxSerializer

    def scoped_queryset(self, account):
        return selectors.inboxes_list(membership=self.membership)

    @extend_schema(operation_id="GetInbox", tags=["Inboxes"], responses=InboxSerializer)
    def get(self, request, account_id: int, pk: int):
        inbox = self.get_object()
        return Response(InboxSerializer(inbox, context=_context(self, [inbox])).data)

    @extend_schema(
        operation_id="updateInbox",
        tags=["Inboxes"],
        request=InboxWriteSerializer,
        responses=InboxSerializer,
    )
    def patch(self, request, account_id: int, pk: int):
        inbox = self.get_object()
        payload = InboxWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            settings = payload.settings()
            if settings:
                inbox = services.inbox_update(
                    account=self.account, actor=self.membership, inbox=inbox, **settings
                )
            _apply_channel(self, inbox, payload, creating=False)
            _apply_hours(self, inbox, payload)
        return Response(_inbox_payload(self, pk))

    @extend_schema(operation_id="deleteInbox", tags=["Inboxes"], responses={200: None})
    def delete(self, request, account_id: int, pk: int):
        services.inbox_delete(account=self.account, actor=self.membership, inbox=self.get_object())
        return Response(status=status.HTTP_200_OK)


class InboxMembersView(AccountAPIView):
    """POST adds, PATCH replaces, DELETE removes members; `inbox_id` travels in the body."""

    admin_methods = frozenset({"POST", "PATCH", "DELETE"})
    serializer_class = InboxMembersSerializer

    def scoped_queryset(self, account):
        return selectors.inboxes_list(membership=self.membership)

    def _change(self, request, operation):
        payload = InboxMembersSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        inbox = selectors.inbox_get(
            membership=self.membership, inbox_id=payload.validated_data["inbox_id"]
        )
        operation(
            account=self.account,
            actor=self.membership,
            inbox=inbox,
            user_ids=payload.validated_data["user_ids"],
        )
        return inbox

    @extend_schema(
        operation_id="addNewAgentToInbox",
        tags=["Inboxes"],
        request=InboxMembersSerializer,
        responses=AgentListResponse,
    )
    def post(self, request, account_id: int):
        inbox = self._change(request, services.inbox_members_add)
        return Response(
            {"payload": AgentSerializer(selectors.inbox_members(inbox=inbox), many=True).data}
        )

    @extend_schema(
        operation_id="updateAgentsInInbox",
        tags=["Inboxes"],
        request=InboxMembersSerializer,
        responses=AgentListResponse,
    )
    def patch(self, request, account_id: int):
        inbox = self._change(request, services.inbox_members_set)
        return Response(
            {"payload": AgentSerializer(selectors.inbox_members(inbox=inbox), many=True).data}
        )

    @extend_schema(
        operation_id="deleteAgentInInbox",
        tags=["Inboxes"],
        request=InboxMembersSerializer,
        responses={200: None},
    )
    def delete(self, request, account_id: int):
        self._change(request, services.inbox_members_remove)
        return Response(status=status.HTTP_200_OK)


class InboxMembersDetailView(AccountAPIView):
    serializer_class = AgentSerializer

    def scoped_queryset(self, account):
        return selectors.inboxes_list(membership=self.membership)

    @extend_schema(operation_id="getInboxAgents", tags=["Inboxes"], responses=AgentListResponse)
    def get(self, request, account_id: int, inbox_id: int):
        inbox = selectors.inbox_get(membership=self.membership, inbox_id=inbox_id)
        return Response(
            {"payload": AgentSerializer(selectors.inbox_members(inbox=inbox), many=True).data}
        )
