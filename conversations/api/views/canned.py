"""Canned responses (respostas prontas)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from conversations import selectors, services
from conversations.api.serializers import (
    CannedResponseSerializer,
)
from nexloo.core.params import query_text


class CannedResponseListView(AccountAPIView):
    serializer_class = CannedResponseSerializer
    admin_methods = frozenset({"POST"})

    def scoped_queryset(self, account):
        return selectors.canned_responses(membership=self.membership)

    @extend_schema(
        operation_id="getAccountCannedResponse",
        tags=["Canned Responses"],
        parameters=[OpenApiParameter("search", str)],
        responses=CannedResponseSerializer(many=True),
    )
    def get(self, request, account_id: int):
        rows = selectors.canned_responses(
            membership=self.membership, q=query_text(request.query_params, "search")
        )
        return Response(CannedResponseSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="addNewCannedResponseToAccount",
        tags=["Canned Responses"],
        request=CannedResponseSerializer,
        responses=CannedResponseSerializer,
    )
    def post(self, request, account_id: int):
        payload = CannedResponseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        response = services.canned_response_create(
            account=self.account, actor=self.membership, **payload.validated_data
        )
        return Response(CannedResponseSerializer(response).data)


class CannedResponseDetailView(AccountAPIView):
    serializer_class = CannedResponseSerializer
    admin_methods = frozenset({"PATCH", "PUT", "DELETE"})

    def scoped_queryset(self, account):
        return selectors.canned_responses(membership=self.membership)

    @extend_schema(
        operation_id="updateCannedResponseInAccount",
        tags=["Canned Responses"],
        request=CannedResponseSerializer,
        responses=CannedResponseSerializer,
    )
    def patch(self, request, account_id: int, pk: int):
        payload = CannedResponseSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        response = services.canned_response_update(
            account=self.account,
            actor=self.membership,
            response=self.get_object(),
            **payload.validated_data,
        )
        return Response(CannedResponseSerializer(response).data)

    put = patch

    @extend_schema(
        operation_id="deleteCannedResponseFromAccount",
        tags=["Canned Responses"],
        responses={200: None},
    )
    def delete(self, request, account_id: int, pk: int):
        services.canned_response_delete(
            account=self.account, actor=self.membership, response=self.get_object()
        )
        return Response(status=status.HTTP_200_OK)
