"""Forms of Configurações → Times, and the "departamento" field of the agent form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AgentsField
from accounts.models import Account, AccountUser
from nexloo.core.validators import validate_single_line
from teams.models import Team


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=255, validators=[validate_single_line])
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    routing_message = forms.CharField(
        label=_("Routing message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Sent to the customer when a conversation is routed to this team."),
    )
    allow_auto_assign = forms.BooleanField(
        label=_("Allow automatic assignment"),
        required=False,
        initial=True,
        help_text=_("New conversations routed to the team go automatically to one of its agents."),
    )
    members = AgentsField(label=_("Agents"))

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].limit_to(account)


class DepartmentField:
    """Adds "Departamento" (team membership) to Configurações → Agentes → Adicionar Agente."""

    def fields(self, account: Account) -> dict[str, forms.Field]:
        teams = Team.objects.for_account(account).order_by("name")
        return {
            "teams": forms.ModelMultipleChoiceField(
                label=_("Department"),
                queryset=teams,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                help_text=(
                    _("Optional: the teams this agent belongs to.")
                    if teams.exists()
                    else _(
                        "No teams yet. Create them in Settings → Teams and tick the agents there."
                    )
                ),
            )
        }

    def initial(self, membership: AccountUser) -> dict:
        from teams.selectors import team_ids_of

        return {"teams": team_ids_of(membership=membership)}

    def save(self, *, account, actor, membership, cleaned_data) -> None:
        from teams.services import agent_teams_set

        agent_teams_set(
            account=account,
            actor=actor,
            membership=membership,
            teams=cleaned_data.get("teams") or [],
        )
