"""Configurações → Automação in Portuguese: the list (switch, last run, errors), the builder
(rows that fit their attribute, errors next to the row), the rule's runs, clone, delete."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from automations.models import AutomationRule, AutomationRun
from tests.busy import BOOSTED, assert_answered_in_place, assert_boosted, database_locked

pytestmark = pytest.mark.django_db


def url(name, account, *args):
    return reverse(f"automations:{name}", args=[account.pk, *args])


def cenario_4_post(scenario, **over):
    data = {
        "name": "Tudo para a Recepção",
        "description": "Toda conversa nova vai primeiro para a secretária.",
        "event_name": "conversation_created",
        "conditions-0-attribute_key": "status",
        "conditions-0-filter_operator": "equal_to",
        "conditions-0-values": ["open"],
        "conditions-0-query_operator": "and",
        "actions-0-action_name": "assign_team",
        "actions-0-params": str(scenario["reception"].pk),
    }
    data.update(over)
    return data


def test_sidebar_list_and_the_green_button(login, account, admin):
    html = login(admin).get(reverse("settings_agents", args=[account.pk])).content.decode()
    assert re.search(rf'<a class="nav-link" href="{url("list", account)}"[^>]*>Automação</a>', html)
    html = login(admin).get(url("list", account)).content.decode()
    assert re.search(r'class="btn btn-primary"[^>]*>Adicionar Regra de Automação</a>', html)


def test_the_builder_in_portuguese(login, account, admin, scenario):
    html = login(admin).get(url("new", account)).content.decode()
    for label in (
        "Conversa Criada",
        "Conversa Atualizada",
        "Conversa Aberta",
        "Conversa Resolvida",
        "Mensagem Criada",
        "Situação",
        "igual a",
        "abertas",
        "pendentes",
        "resolvidas",
        "adiadas",
        "Atribuir ao time",
        "Recepção",
    ):
        assert label in html, label
    assert "<script>" not in html and "onclick=" not in html and "hx-on" not in html


def test_creating_the_cenario_4_rule(login, account, admin, scenario):
    response = login(admin).post(url("new", account), cenario_4_post(scenario))
    assert response.status_code == 302
    rule = AutomationRule.objects.get(account=account)
    assert rule.conditions[0]["values"] == ["open"]
    assert rule.actions == [
        {"action_name": "assign_team", "action_params": [scenario["reception"].pk]}
    ]


def test_errors_show_next_to_their_row_and_nothing_is_saved(login, account, admin, scenario):
    data = cenario_4_post(
        scenario,
        **{
            "conditions-7-attribute_key": "name",
            "conditions-7-filter_operator": "contains",
            "conditions-7-query_operator": "and",
            "actions-0-params": "",
        },
    )
    response = login(admin).post(url("new", account), data)
    assert response.status_code == 422
    html = response.content.decode()
    second = html[html.index('id="condition-1"') : html.index('id="actions"')]
    assert 'data-error="values">Escolha ou digite um valor.' in second
    first = html[html.index('id="condition-0"') : html.index('id="condition-1"')]
    assert "data-error" not in first
    assert not AutomationRule.objects.exists()


def test_a_row_partial_offers_the_operators_and_values_that_fit(login, account, admin, scenario):
    client = login(admin)
    html = client.get(
        url("condition_row", account),
        {
            "index": "3",
            "conditions-3-attribute_key": "name",
            "conditions-3-filter_operator": "contains",
        },
    ).content.decode()
    assert 'name="conditions-3-filter_operator"' in html
    for op in ("igual a", "diferente de", "contém", "não contém", "começa com", "está presente"):
        assert op in html
    assert 'type="text"' in html and "abertas" not in html
    html = client.get(
        url("condition_row", account), {"index": "1", "conditions-1-attribute_key": "team_id"}
    ).content.decode()
    assert "Recepção" in html and "Comercial" in html and 'type="checkbox"' in html
    html = client.get(
        url("condition_row", account),
        {"index": "1", "conditions-1-attribute_key": "within_business_hours"},
    ).content.decode()
    assert ">Sim</option>" in html and ">Não</option>" in html
    html = client.get(
        url("action_row", account), {"index": "2", "actions-2-action_name": "add_private_note"}
    ).content.decode()
    assert "<textarea" in html and 'name="actions-2-params"' in html


def test_switch_clone_delete_and_runs(login, account, admin, scenario, reception_rule, open_new):
    client = login(admin)
    conversation = open_new()
    html = client.get(url("detail", account, reception_rule.pk)).content.decode()
    assert f"#{conversation.display_id}" in html and "assign_team:Recepção" in html
    client.post(url("toggle", account, reception_rule.pk))
    assert not AutomationRule.objects.get(pk=reception_rule.pk).active
    client.post(url("toggle", account, reception_rule.pk))
    assert AutomationRule.objects.get(pk=reception_rule.pk).active
    response = client.post(url("clone", account, reception_rule.pk))
    copy = AutomationRule.objects.exclude(pk=reception_rule.pk).get()
    assert response["Location"] == url("edit", account, copy.pk)
    assert "Confirm" not in client.get(url("delete", account, copy.pk)).content.decode()
    assert "Excluir esta regra?" in client.get(url("delete", account, copy.pk)).content.decode()
    client.post(url("delete", account, copy.pk))
    assert list(AutomationRule.objects.values_list("pk", flat=True)) == [reception_rule.pk]
    html = client.get(url("edit", account, reception_rule.pk)).content.decode()
    assert 'value="open" checked' in html


def test_the_switch_turns_off_a_rule_whose_team_was_deleted(
    login, account, admin, scenario, reception_rule
):
    scenario["reception"].delete()
    client = login(admin)
    response = client.post(url("toggle", account, reception_rule.pk), follow=True)
    assert not AutomationRule.objects.get(pk=reception_rule.pk).active
    assert "Regra Tudo para a Recepção desligada." in response.content.decode()
    # On again: refused with what to fix, and it stays off.
    response = client.post(url("toggle", account, reception_rule.pk), follow=True)
    assert not AutomationRule.objects.get(pk=reception_rule.pk).active
    assert (
        "A regra Tudo para a Recepção não pode ser ligada: Escolha um dos times desta conta. "
        "Edite-a para corrigir."
    ) in response.content.decode()


def test_the_builder_and_the_lists_forms_are_boosted(login, account, admin, reception_rule):
    """A save that fails (the database busy) keeps the page and what was typed: htmx shows the
    message in place instead of a page that points to Back."""
    client = login(admin)
    under = url("list", account)
    # The list: the switch, Clone and the delete dialog's form.
    assert_boosted(client.get(url("list", account)).content.decode(), under, count=3)
    for page in (
        url("new", account),
        url("edit", account, reception_rule.pk),
        url("delete", account, reception_rule.pk),
    ):
        assert_boosted(client.get(page).content.decode(), under, count=1)


def test_a_busy_database_answers_the_builder_and_the_switch_in_place(
    login, account, admin, scenario, reception_rule
):
    client = login(admin)
    client.get(url("list", account))  # the session's account, stored before the writes fail
    typed = cenario_4_post(scenario, name="Outra regra")
    edited = cenario_4_post(scenario, name="Nome novo", description="Mudou")
    with database_locked():
        assert_answered_in_place(client.post(url("new", account), typed, **BOOSTED))
        assert_answered_in_place(
            client.post(url("edit", account, reception_rule.pk), edited, **BOOSTED)
        )
        for name in ("toggle", "clone", "delete"):
            assert_answered_in_place(client.post(url(name, account, reception_rule.pk), **BOOSTED))
    (rule,) = AutomationRule.objects.all()
    assert (rule.pk, rule.name, rule.active) == (reception_rule.pk, "Tudo para a Recepção", True)


def test_agents_get_403_and_another_account_404(
    login, account, agent, outsider, other_account, reception_rule
):
    pages = [
        url("list", account),
        url("new", account),
        url("detail", account, reception_rule.pk),
        url("edit", account, reception_rule.pk),
        url("delete", account, reception_rule.pk),
        url("condition_row", account),
    ]
    client = login(agent)
    for page in pages:
        assert client.get(page).status_code == 403, page
    assert client.post(url("toggle", account, reception_rule.pk)).status_code == 403
    client = login(outsider)
    for page in pages:
        assert client.get(page).status_code == 404, page
    theirs = reverse("automations:detail", args=[other_account.pk, reception_rule.pk])
    assert client.get(theirs).status_code == 404
    for name in ("toggle", "clone", "delete"):
        path = reverse(f"automations:{name}", args=[other_account.pk, reception_rule.pk])
        assert client.post(path).status_code == 404
    assert AutomationRule.objects.get(pk=reception_rule.pk).active


def test_list_and_runs_query_counts_do_not_grow(
    login, account, admin, scenario, rule, open_new, django_assert_num_queries
):
    client = login(admin)
    actions = [{"action_name": "add_private_note", "action_params": ["oi"]}]
    first = rule(name="Primeira", actions=actions)
    client.get(url("list", account))
    with django_assert_num_queries(6):
        assert client.get(url("list", account)).status_code == 200
    for n in range(15):
        rule(name=f"Regra {n}", actions=actions)
    open_new()
    with django_assert_num_queries(6):
        html = client.get(url("list", account)).content.decode()
    assert html.count("data-rule=") == 16
    with django_assert_num_queries(6):
        client.get(url("detail", account, first.pk))
    for _ in range(5):
        open_new()
    with django_assert_num_queries(6):
        html = client.get(url("detail", account, first.pk)).content.decode()
    assert AutomationRun.objects.filter(rule=first).count() == 6
    assert html.count("<tr>") == 6 + 1
