"""The WhatsApp channel through Chatwoot's inboxes API: created with `channel.provider_config`,
read back without the access token or the app secret."""

from __future__ import annotations

import json

import pytest

from inboxes.models import Inbox
from tests.factories import AccountUserFactory, InboxMemberFactory
from tests.whatsapp.conftest import NUMBER, SECRET, TOKEN
from whatsapp.models import WhatsAppChannel

pytestmark = pytest.mark.django_db

BODY = {
    "name": "WhatsApp Comercial",
    "channel": {
        "type": "whatsapp",
        "phone_number": "+5511940000009",
        "provider": "whatsapp_cloud",
        "provider_config": {
            "api_key": "EAAG-api-created-token-1111",
            "phone_number_id": "500000000000005",
            "business_account_id": "600000000000006",
            "app_secret": "api-created-app-secret-2222",
        },
    },
}


def url(account, *rest):
    return "/".join([f"/api/v1/accounts/{account.pk}/inboxes", *map(str, rest)])


def test_create_as_chatwoot_does(admin_api, account):
    response = admin_api.post(url(account), BODY, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["channel_type"] == "Channel::Whatsapp"
    assert (data["phone_number"], data["provider"]) == ("+5511940000009", "whatsapp_cloud")
    channel = WhatsAppChannel.objects.get(inbox_id=data["id"])
    assert data["provider_config"] == {
        "phone_number_id": "500000000000005",
        "business_account_id": "600000000000006",
        "webhook_verify_token": channel.webhook_verify_token,
        "callback_webhook_url": "http://testserver/webhooks/whatsapp/+5511940000009",
    }
    assert channel.access_token == "EAAG-api-created-token-1111"
    assert channel.app_secret == "api-created-app-secret-2222"
    text = response.content.decode()
    assert "EAAG-api-created-token-1111" not in text and "api-created-app-secret" not in text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone_number": "telefone"}, "phone_number"),
        ({"provider_config": {"phone_number_id": "1", "business_account_id": "2"}}, "access_token"),
    ],
)
def test_invalid_channel_is_422_and_creates_nothing(admin_api, account, change, field):
    body = json.loads(json.dumps(BODY))
    body["channel"].update(change)
    response = admin_api.post(url(account), body, format="json")
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Inbox.objects.filter(account=account).exists()


def test_reads_never_show_the_secrets_and_agents_see_no_config(
    admin_api, api_for, account, channel
):
    listed = admin_api.get(url(account))
    assert listed.status_code == 200
    [inbox] = listed.json()["payload"]
    assert inbox["provider_config"]["webhook_verify_token"] == channel.webhook_verify_token
    assert TOKEN not in listed.content.decode() and SECRET not in listed.content.decode()
    agent = AccountUserFactory(account=account)
    InboxMemberFactory(inbox=channel.inbox, account_user=agent)
    seen = api_for(agent).get(url(account, channel.inbox_id)).json()
    assert seen["phone_number"] == NUMBER
    assert seen["provider_config"] is None


def test_patch_replaces_the_token(admin_api, account, channel):
    response = admin_api.patch(
        url(account, channel.inbox_id),
        {"channel": {"provider_config": {"api_key": "EAAG-rotated-token-3333"}}},
        format="json",
    )
    assert response.status_code == 200
    channel.refresh_from_db()
    assert channel.access_token == "EAAG-rotated-token-3333"
    assert channel.app_secret == SECRET


def test_another_accounts_inbox_is_404(outsider_api, account, channel):
    assert outsider_api.get(url(account, channel.inbox_id)).status_code == 404
    assert (
        outsider_api.patch(
            url(account, channel.inbox_id),
            {"channel": {"provider_config": {"api_key": "x" * 20}}},
            format="json",
        ).status_code
        == 404
    )


def test_an_agent_outside_the_inbox_does_not_see_it(api_for, account, channel):
    agent = AccountUserFactory(account=account)
    assert api_for(agent).get(url(account, channel.inbox_id)).status_code == 404


def test_the_list_takes_the_same_queries_for_one_or_many_numbers(
    admin_api, admin, account, channel, django_assert_num_queries
):
    from whatsapp import services

    admin_api.get(url(account))
    with django_assert_num_queries(4):
        admin_api.get(url(account))
    for n in range(3):
        services.whatsapp_inbox_create(
            account=account,
            actor=admin,
            name=f"Número {n}",
            phone_number=f"+551194000010{n}",
            phone_number_id=f"70000000000000{n}",
            business_account_id="1",
            access_token="EAAG-more-numbers-token",
            app_secret="more-numbers-app-secret",
        )
    with django_assert_num_queries(4):
        admin_api.get(url(account))
