"""Extension points of the agent form, for apps above accounts.

`accounts` cannot import `teams`, yet "Adicionar Agente" offers a departamento (team). Apps that
want a field on the agent form register an `AgentFormExtension` in their AppConfig.ready(); the
form shows its fields and calls `save()` inside the same transaction as the agent's creation.
"""

from __future__ import annotations

from typing import Any, Protocol

from django import forms

from accounts.models import Account, AccountUser


class AgentFormExtension(Protocol):
    def fields(self, account: Account) -> dict[str, forms.Field]: ...

    def initial(self, membership: AccountUser) -> dict[str, Any]: ...

    def save(
        self,
        *,
        account: Account,
        actor: AccountUser,
        membership: AccountUser,
        cleaned_data: dict[str, Any],
    ) -> None: ...


agent_form_extensions: list[AgentFormExtension] = []


def register_agent_form_extension(extension: AgentFormExtension) -> None:
    if extension not in agent_form_extensions:
        agent_form_extensions.append(extension)
