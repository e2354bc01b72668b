"""Teams (departamentos): who handles a kind of conversation, with the message that greets a
contact routed to them and whether new conversations are given to a member automatically."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nexloo.core.tenancy import TenantModel


class Team(TenantModel):
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    # The "mensagem de direcionamento", sent to the contact when a conversation reaches the team.
    routing_message = models.TextField(_("routing message"), blank=True, default="")
    allow_auto_assign = models.BooleanField(_("allow automatic assignment"), default=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="team_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    account_user = models.ForeignKey(
        "accounts.AccountUser", on_delete=models.CASCADE, related_name="team_memberships"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "account_user"], name="team_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_user_id} in team {self.team_id}"
