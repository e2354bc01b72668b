"""Configurações → Times: list, create, edit (with members), delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import apply_service_errors
from accounts.mixins import AdminRequiredMixin
from teams import selectors, services
from teams.forms import TeamForm


class TeamListView(AdminRequiredMixin, View):
    def get(self, request, account_id: int):
        teams = selectors.teams_list(membership=self.membership)
        return render(request, "teams/list.html", {"teams": teams})


class TeamCreateView(AdminRequiredMixin, View):
    template = "teams/form.html"

    def get(self, request, account_id: int):
        return render(
            request, self.template, {"form": TeamForm(account=self.account), "creating": True}
        )

    def post(self, request, account_id: int):
        form = TeamForm(request.POST, account=self.account)
        if form.is_valid():
            data = dict(form.cleaned_data)
            members = data.pop("members")
            try:
                team = services.team_create(
                    account=self.account,
                    actor=self.membership,
                    member_user_ids=[m.user_id for m in members],
                    **data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Team %(name)s created.") % {"name": team.name})
                return redirect("teams:list", account_id=self.account.pk)
        return render(request, self.template, {"form": form, "creating": True}, status=422)


class TeamEditView(AdminRequiredMixin, View):
    template = "teams/form.html"

    def _team(self):
        return selectors.team_get(membership=self.membership, team_id=self.kwargs["team_id"])

    def get(self, request, account_id: int, team_id: int):
        team = self._team()
        initial = {
            "name": team.name,
            "description": team.description,
            "routing_message": team.routing_message,
            "allow_auto_assign": team.allow_auto_assign,
            "members": list(selectors.team_members(team=team).values_list("pk", flat=True)),
        }
        return render(
            request,
            self.template,
            {"form": TeamForm(account=self.account, initial=initial), "team": team},
        )

    def post(self, request, account_id: int, team_id: int):
        team = self._team()
        form = TeamForm(request.POST, account=self.account)
        if form.is_valid():
            data = dict(form.cleaned_data)
            members = data.pop("members")
            try:
                team = services.team_update(
                    account=self.account,
                    actor=self.membership,
                    team=team,
                    member_user_ids=[m.user_id for m in members],
                    **data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
                return redirect("teams:list", account_id=self.account.pk)
        return render(request, self.template, {"form": form, "team": team}, status=422)


class TeamDeleteView(AdminRequiredMixin, View):
    def get(self, request, account_id: int, team_id: int):
        team = selectors.team_get(membership=self.membership, team_id=team_id)
        return render(request, "teams/confirm_delete.html", {"team": team})

    def post(self, request, account_id: int, team_id: int):
        team = selectors.team_get(membership=self.membership, team_id=team_id)
        services.team_delete(account=self.account, actor=self.membership, team=team)
        messages.success(request, _("Team %(name)s deleted.") % {"name": team.name})
        return redirect("teams:list", account_id=self.account.pk)
