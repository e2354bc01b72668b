"""`/api/v1/accounts/{account_id}/automation_rules` as Chatwoot serves it: payloads, clone,
422 naming the row, 404 for another account's rule, 403 for agents."""

from __future__ import annotations

import pytest

from automations.models import AutomationRule

pytestmark = pytest.mark.django_db

CENARIO_4 = {
    "name": "Tudo para a Recepção",
    "description": "Toda conversa nova vai primeiro para a secretária.",
    "event_name": "conversation_created",
    "conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
    "active": True,
}


def base(account) -> str:
    return f"/api/v1/accounts/{account.pk}/automation_rules"


@pytest.fixture
def payload(scenario):
    return {
        **CENARIO_4,
        "actions": [{"action_name": "assign_team", "action_params": [scenario["reception"].pk]}],
    }


def test_create_list_show_update_clone_delete(account, admin_api, payload, scenario):
    created = admin_api.post(base(account), payload, format="json")
    assert created.status_code == 200, created.json()
    rule = created.json()["payload"]
    assert rule["event_name"] == "conversation_created" and rule["active"] is True
    assert rule["account_id"] == account.pk and isinstance(rule["created_on"], int)
    assert rule["conditions"] == [{**CENARIO_4["conditions"][0], "query_operator": "and"}]
    listed = admin_api.get(base(account)).json()["payload"]
    assert [r["id"] for r in listed] == [rule["id"]]
    shown = admin_api.get(f"{base(account)}/{rule['id']}").json()["payload"]
    assert shown["name"] == "Tudo para a Recepção"
    patched = admin_api.patch(f"{base(account)}/{rule['id']}", {"active": False}, format="json")
    assert patched.json()["payload"]["active"] is False
    clone = admin_api.post(f"{base(account)}/{rule['id']}/clone").json()["payload"]
    assert clone["name"] == "Tudo para a Recepção (cópia)" and clone["id"] != rule["id"]
    assert clone["actions"] == rule["actions"]
    assert admin_api.delete(f"{base(account)}/{rule['id']}").status_code == 200
    assert list(AutomationRule.objects.values_list("pk", flat=True)) == [clone["id"]]


def test_validation_is_422_naming_the_row_and_changes_nothing(account, admin_api, payload):
    wrong_status = {"attribute_key": "status", "filter_operator": "equal_to", "values": ["aberta"]}
    bad = {**payload, "conditions": [*payload["conditions"], wrong_status]}
    response = admin_api.post(base(account), bad, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "conditions[1].values"
    assert response.json()["message"] == "aberta não é uma das opções."
    empty = admin_api.post(base(account), {**payload, "actions": []}, format="json")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "actions"
    missing = admin_api.post(base(account), {"name": "x"}, format="json")
    assert missing.status_code == 422
    assert not AutomationRule.objects.exists()
    rule = admin_api.post(base(account), payload, format="json").json()["payload"]
    wrong = admin_api.patch(
        f"{base(account)}/{rule['id']}",
        {"actions": [{"action_name": "assign_team", "action_params": [999999]}]},
        format="json",
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "actions[0].action_params"
    assert AutomationRule.objects.get().actions == payload["actions"]


def test_another_accounts_rule_is_404_and_agents_are_403(
    account, admin_api, agent_api, outsider_api, other_account, payload, outsider
):
    rule = admin_api.post(base(account), payload, format="json").json()["payload"]
    one = f"{base(account)}/{rule['id']}"
    # Someone of another account: not found, as if it did not exist.
    assert outsider_api.get(base(account)).status_code == 404
    assert outsider_api.get(one).status_code == 404
    assert outsider_api.patch(one, {"active": False}, format="json").status_code == 404
    assert outsider_api.delete(one).status_code == 404
    # Through their own account's path, our rule's id is still not found.
    theirs = f"{base(other_account)}/{rule['id']}"
    assert outsider_api.get(theirs).status_code == 404
    assert outsider_api.post(f"{theirs}/clone").status_code == 404
    assert outsider_api.delete(theirs).status_code == 404
    # Agents of the account: rules are the administrators'.
    assert agent_api.get(base(account)).status_code == 403
    assert agent_api.post(base(account), payload, format="json").status_code == 403
    assert agent_api.patch(one, {"active": False}, format="json").status_code == 403
    assert agent_api.delete(one).status_code == 403
    assert agent_api.post(f"{one}/clone").status_code == 403
    assert AutomationRule.objects.get().active


def test_list_query_count_does_not_grow(
    account, admin, admin_api, payload, rule, django_assert_num_queries
):
    admin_api.get(base(account))
    for n in range(2):
        rule(name=f"Regra {n}", actions=payload["actions"])
    with django_assert_num_queries(2):
        assert len(admin_api.get(base(account)).json()["payload"]) == 2
    for n in range(20):
        rule(name=f"Mais {n}", actions=payload["actions"])
    with django_assert_num_queries(2):
        assert len(admin_api.get(base(account)).json()["payload"]) == 22


@pytest.mark.parametrize(
    "condition, message",
    [
        (("inbox_id", "equal_to", ["①"]), "Informe os ids como números inteiros."),
        (("inbox_id", "equal_to", [str(10**30)]), "Informe os ids como números inteiros."),
        (("created_at", "days_before", ["①"]), "Informe um número de dias."),
        (("created_at", "days_before", ["-1"]), "Informe um número de dias."),
        (("created_at", "days_before", [10**12]), "Informe no máximo 36500 dias."),
        (("created_at", "days_before", [str(10**12)]), "Informe no máximo 36500 dias."),
        (("created_at", "days_before", [10**30]), "Informe no máximo 36500 dias."),
    ],
    ids=[
        "circled-id",
        "huge-id",
        "circled-days",
        "negative-days",
        "huge-days",
        "huge-days-as-text",
        "huger-days",
    ],
)
def test_unreadable_numbers_in_conditions_are_422_naming_the_row(
    account, admin_api, payload, condition, message
):
    """`isdigit()` is true for "①" but int() refuses it, and a trillion days is more than a
    timedelta holds: both were 500s."""
    attribute, operator, values = condition
    row = {"attribute_key": attribute, "filter_operator": operator, "values": values}
    response = admin_api.post(base(account), {**payload, "conditions": [row]}, format="json")
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert (error["field"], error["message"]) == ("conditions[0].values", message)
    assert not AutomationRule.objects.exists()


@pytest.mark.parametrize("number", ["nan", "inf", "-Infinity", "1e999"])
def test_a_number_json_cannot_store_is_422(account, admin_api, payload, number):
    row = {
        "attribute_key": "pedidos",
        "filter_operator": "is_greater_than",
        "values": [number],
        "custom_attribute_type": "conversation_attribute",
    }
    response = admin_api.post(base(account), {**payload, "conditions": [row]}, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "conditions[0].values"


def test_a_hundred_years_of_days_is_accepted_and_evaluated(account, admin_api, payload):
    row = {"attribute_key": "created_at", "filter_operator": "days_before", "values": ["36500"]}
    response = admin_api.post(base(account), {**payload, "conditions": [row]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["payload"]["conditions"][0]["values"] == [36500]
    # The same row on the filter face (the conversations filter) is a query, not a 500.
    filtered = admin_api.post(
        f"/api/v1/accounts/{account.pk}/conversations/filter", {"payload": [row]}, format="json"
    )
    assert filtered.status_code == 200 and filtered.json()["payload"] == []
    huge = {**row, "values": [10**12]}
    filtered = admin_api.post(
        f"/api/v1/accounts/{account.pk}/conversations/filter", {"payload": [huge]}, format="json"
    )
    assert filtered.status_code == 422


HUGE = 99999999999999999999  # beyond PostgreSQL's bigint


@pytest.mark.parametrize(
    "action",
    [
        {"action_name": "assign_agent", "action_params": [HUGE]},
        {"action_name": "assign_agent", "action_params": [str(HUGE)]},
        {"action_name": "assign_team", "action_params": [HUGE]},
        {"action_name": "assign_team", "action_params": [-HUGE]},
        {
            "action_name": "send_email_to_team",
            "action_params": [{"message": "Oi", "team_ids": [HUGE]}],
        },
    ],
    ids=["agent", "agent-as-text", "team", "negative-team", "email-team"],
)
def test_an_id_beyond_a_bigint_is_422_naming_the_row(account, admin_api, payload, action):
    created = admin_api.post(base(account), {**payload, "actions": [action]}, format="json")
    assert created.status_code == 422, created.content
    assert created.json()["errors"][0]["field"] == "actions[0].action_params"
    assert not AutomationRule.objects.exists()
    rule = admin_api.post(base(account), payload, format="json").json()["payload"]
    updated = admin_api.patch(f"{base(account)}/{rule['id']}", {"actions": [action]}, format="json")
    assert updated.status_code == 422, updated.content
    assert updated.json()["errors"][0]["field"] == "actions[0].action_params"
    assert AutomationRule.objects.get().actions == payload["actions"]


def test_a_rule_whose_team_was_deleted_can_always_be_switched_off(
    account, admin_api, scenario, reception_rule
):
    scenario["reception"].delete()  # the rule's action now names a team that does not exist
    one = f"{base(account)}/{reception_rule.pk}"
    off = admin_api.patch(one, {"active": False}, format="json")
    assert off.status_code == 200, off.content
    assert off.json()["payload"]["active"] is False
    assert not AutomationRule.objects.get(pk=reception_rule.pk).active
    # Switching on needs a valid rule: 422 naming what to fix, and it stays off.
    on = admin_api.patch(one, {"active": True}, format="json")
    assert on.status_code == 422
    assert on.json()["errors"][0]["field"] == "actions[0].action_params"
    assert on.json()["message"] == "Escolha um dos times desta conta."
    assert not AutomationRule.objects.get(pk=reception_rule.pk).active
    # Anything else changed together with "off" is validated as usual.
    renamed = admin_api.patch(one, {"active": False, "name": "Outra"}, format="json")
    assert renamed.status_code == 422
    assert AutomationRule.objects.get(pk=reception_rule.pk).name == "Tudo para a Recepção"
