"""Bad input answers a clear 4xx, never a 500: the nine cases the security probe found, each
pinned, and property tests of the shared parsers (nexloo.core.params)."""

from __future__ import annotations

import math
from datetime import UTC

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from nexloo.core.errors import BadParameter
from nexloo.core.params import (
    MAX_ID,
    MAX_PAGE,
    MAX_TIMESTAMP,
    clean_json,
    clean_text,
    parse_int,
    parse_timestamp,
    query_int,
    query_page,
    query_text,
    query_texts,
)
from tests.factories import ContactFactory, ConversationFactory, InboxFactory

# --- The parsers, property-tested ---------------------------------------------------------------


@given(st.integers(min_value=-MAX_ID - 1, max_value=MAX_ID))
def test_parse_int_reads_every_bigint_written_as_digits(n):
    assert parse_int(str(n), name="id") == n
    assert parse_int(f"  {n} ", name="id") == n


@given(
    st.one_of(
        st.integers(), st.text(), st.floats(), st.none(), st.booleans(), st.lists(st.integers())
    )
)
def test_parse_int_answers_a_bigint_or_bad_parameter(value):
    try:
        n = parse_int(value, name="id", minimum=1)
    except BadParameter as exc:
        assert exc.message_text.startswith("id: ")
    else:
        assert isinstance(n, int) and 1 <= n <= MAX_ID


@given(st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1))
def test_unicode_digits_are_not_numbers(text):
    if not text.isascii():
        with pytest.raises(BadParameter):
            parse_int(text, name="id")


@given(st.one_of(st.text(), st.integers().map(str)))
def test_query_page_is_within_bounds_or_refused(raw):
    try:
        page = query_page({"page": raw})
    except BadParameter:
        return
    assert 1 <= page <= MAX_PAGE


def test_query_int_defaults_when_absent_or_empty():
    assert query_int({}, "inbox_id") is None
    assert query_int({"inbox_id": ""}, "inbox_id", default=3) == 3
    assert query_page({}) == 1


@given(st.text())
def test_clean_text_never_lets_nul_or_surrogates_through(text):
    try:
        out = clean_text(text, name="q")
    except BadParameter:
        assert any(
            (ord(c) < 32 and c not in "\t\n\r") or c == "\x7f" or 0xD800 <= ord(c) <= 0xDFFF
            for c in text
        )
    else:
        assert "\x00" not in out
        out.encode("utf-8")  # PostgreSQL can hold it


@given(st.text(max_size=300))
def test_query_text_is_stripped_and_bounded(text):
    try:
        out = query_text({"q": text}, "q")
    except BadParameter:
        return
    assert len(out) <= 100 and out == out.strip()[:100]


@given(st.lists(st.text(alphabet="abc, \x00", max_size=8), max_size=4))
def test_query_texts_splits_and_refuses_nul(values):
    class Params(dict):
        def getlist(self, key):
            return values if key == "labels" else []

    try:
        out = query_texts(Params(), "labels")
    except BadParameter:
        assert any("\x00" in v for v in values)
    else:
        assert all(t and "," not in t and t == t.strip() for t in out)


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(), st.booleans()
    )
)
def test_parse_timestamp_answers_a_date_postgres_can_hold(value):
    try:
        at = parse_timestamp(value, name="snoozed_until")
    except BadParameter:
        return
    assert at.tzinfo is UTC and 1970 <= at.year <= 9999


def test_parse_timestamp_bounds():
    assert parse_timestamp(0, name="t").year == 1970
    assert parse_timestamp(MAX_TIMESTAMP, name="t").year == 9999
    for bad in (1e15, -1, math.inf, math.nan, "amanhã", True):
        with pytest.raises(BadParameter):
            parse_timestamp(bad, name="t")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(json_values)
def test_clean_json_refuses_exactly_what_jsonb_cannot_hold(value):
    import json

    text = json.dumps(value)
    holds_nul = "\\u0000" in text or any(
        0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False)
    )
    try:
        clean_json(value, name="custom_attributes")
    except BadParameter:
        assert holds_nul
    else:
        assert not holds_nul


# --- The nine 500s of the probe, each a 4xx now -------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _api(account, path):
    return f"/api/v1/accounts/{account.pk}/{path}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "conversations?q=a%00b",
        "conversations?labels=a%00b",
        "conversations/meta?q=a%00b",
        "conversations/meta?labels[]=a%00b",
        "contacts/search?q=a%00b",
        "canned_responses?search=a%00b",
        "conversations?page=99999999999999999999",
        "contacts?page=99999999999999999999",
        "contacts/search?q=a&page=99999999999999999999",
        "conversations?inbox_id=99999999999999999999999",
    ],
)
def test_api_lists_refuse_unreadable_parameters(admin_api, account, path):
    response = admin_api.get(_api(account, path))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"].split(":")[0] in {"q", "labels", "search", "page", "inbox_id"}


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["conversations", "contacts"])
@pytest.mark.parametrize("page", ["abc", "99999999999999999999", "0", "%E2%91%A0"])
def test_filter_endpoints_refuse_unreadable_pages_like_the_lists(admin_api, account, target, page):
    path = _api(account, f"{target}/filter?page={page}")
    response = admin_api.post(path, {"payload": []}, format="json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"].startswith("page: ")
    assert body["errors"][0]["field"] == "page"
    assert (
        admin_api.post(
            _api(account, f"{target}/filter?page=2"), {"payload": []}, format="json"
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_a_circled_digit_is_searched_as_text(admin_api, account):
    assert admin_api.get(_api(account, "conversations?q=%E2%91%A0")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("conversations:workspace", "q=a%00b"),
        ("conversations:list", "q=a%00b"),
        ("conversations:list", "labels=a%00b"),
        ("conversations:list", "page=99999999999999999999"),
        ("conversations:list", "through=99999999999999999999"),
        ("conversations:list", "open=%E2%91%A0"),
        ("conversations:counts", "q=a%00b"),
        ("conversations:canned_search", "q=a%00b"),
        ("conversations:contacts", "q=a%00b"),
        ("conversations:canned_responses", "q=a%00b"),
        ("settings_agents", "q=a%00b"),
    ],
)
def test_pages_refuse_unreadable_parameters_with_400(login, admin, account, name, query):
    client = login(admin)
    response = client.get(f"{reverse(name, args=[account.pk])}?{query}")
    assert response.status_code == 400, response.content[:300]
    # The message names the parameter, in the person's language.
    assert response.content.decode().startswith(query.split("=")[0] + ": ")


@pytest.mark.django_db
def test_pages_still_take_huge_page_numbers_as_the_last_page(login, admin, account):
    client = login(admin)
    for name in ("conversations:contacts", "conversations:canned_responses", "settings_agents"):
        response = client.get(f"{reverse(name, args=[account.pk])}?page=99999999999999999999")
        assert response.status_code == 200


@pytest.fixture
def conversation(account):
    inbox = InboxFactory(account=account)
    return ConversationFactory(
        account=account, inbox=inbox, contact=ContactFactory(account=account)
    )


@pytest.mark.django_db
def test_an_incoming_message_with_a_long_content_type_is_refused(admin_api, conversation):
    response = admin_api.post(
        _api(conversation.account, f"conversations/{conversation.display_id}/messages"),
        {"content": "oi", "message_type": "incoming", "content_type": "x" * 40},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "content_type"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        (
            "messages",
            {"content": "oi", "content_attributes": {"a": "x\u0000"}},
            "content_attributes",
        ),
        ("messages", {"content": "oi", "content_attributes": {"a\u0000": 1}}, "content_attributes"),
    ],
)
def test_nul_inside_json_attributes_is_refused(admin_api, conversation, path, payload, field):
    response = admin_api.post(
        _api(conversation.account, f"conversations/{conversation.display_id}/{path}"),
        payload,
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.django_db
def test_nul_in_contact_custom_attributes_is_refused(admin_api, account):
    response = admin_api.post(
        _api(account, "contacts"),
        {"name": "Rita", "custom_attributes": {"plano": ["ouro\u0000"]}},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "custom_attributes"


@pytest.mark.django_db
def test_snoozing_until_the_year_33658_is_refused(admin_api, conversation):
    response = admin_api.post(
        _api(conversation.account, f"conversations/{conversation.display_id}/toggle_status"),
        {"status": "snoozed", "snoozed_until": 1e15},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "snoozed_until"


@pytest.mark.django_db
def test_an_inbox_with_a_list_as_channel_type_is_refused(admin_api, account):
    response = admin_api.post(
        _api(account, "inboxes"), {"name": "X", "channel": {"type": []}}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "channel"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"name": "X", "max_assignment_limit": 2**40},
        {"name": "X", "auto_assignment_config": {"max_assignment_limit": 2**40}},
    ],
)
def test_a_capacity_beyond_an_integer_is_refused(admin_api, account, payload):
    response = admin_api.post(_api(account, "inboxes"), payload, format="json")
    assert response.status_code == 422
    assert "max_assignment_limit" in response.json()["errors"][0]["field"]


@pytest.mark.django_db
def test_patching_working_hours_with_half_an_interval_is_refused(admin_api, account):
    inbox = InboxFactory(account=account)
    response = admin_api.patch(
        _api(account, f"inboxes/{inbox.pk}"),
        {"working_hours": [{"day_of_week": 1, "intervals": [{"close": "18:00"}]}]},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("working_hours")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"working_hours": [{"closed_all_day": True}]}, "day_of_week"),
        ({"working_hours": [{"intervals": [{"open": "09:00", "close": "08:00"}]}]}, "day_of_week"),
        ({"working_hours_exceptions": [{"closed_all_day": True}]}, "date"),
        (
            {"working_hours_exceptions": [{"intervals": [{"open": "09:00", "close": "18:00"}]}]},
            "date",
        ),
        (
            {"working_hours_exceptions": [{"intervals": [{"open": "19:00", "close": "18:00"}]}]},
            "date",
        ),
    ],
)
def test_patching_working_hours_without_the_day_is_refused(admin_api, account, payload, field):
    """partial=True reaches the nested entries too: without the day there is nothing to apply
    (it was a KeyError, 500), whatever else the entry says."""
    inbox = InboxFactory(account=account)
    response = admin_api.patch(_api(account, f"inboxes/{inbox.pk}"), payload, format="json")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"].startswith(next(iter(payload)))
    assert error["field"].endswith(field)
    inbox.refresh_from_db()
    assert not inbox.schedule_rules.exists()


def test_tokens_in_urls_never_reach_uvicorns_logs():
    import logging

    from nexloo import asgi  # noqa: F401  (installs the filter)

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    for name, args in [
        ("uvicorn.access", ("127.0.0.1:5", "GET", "/ws/?api_access_token=s3cr3t&x=1", "1.1", 101)),
        ("uvicorn.error", ("127.0.0.1:5", "/ws/?account_id=1&api_access_token=s3cr3t")),
    ]:
        logger = logging.getLogger(name)
        handler = Keep()
        logger.addHandler(handler)
        try:
            logger.warning('%s - "%s"' if len(args) == 2 else '%s - "%s %s HTTP/%s" %d', *args)
        finally:
            logger.removeHandler(handler)
    assert records and all("s3cr3t" not in r and "[redacted]" in r for r in records)
