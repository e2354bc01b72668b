"""Received media: downloaded by its own task through the Graph API (the stand-in), authorised,
size-limited, its type checked; until then (or if it cannot be had) the thread says so; the
file reaches agents only through the conversation's signed attachment link."""

from __future__ import annotations

import re

import pytest

from conversations.files import attachment_path
from conversations.models import Attachment
from tests.whatsapp.conftest import TOKEN, payload
from whatsapp.tasks import download_media

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"taj-mahal" * 100
IMAGE_MEDIA_ID = "1003383421387256"  # image.json


def receive_image(process, on_commit):
    with on_commit():
        process(payload("image.json"))
    return Attachment.objects.get()


def test_the_image_is_downloaded_with_the_token_and_stored(
    graph, process, on_commit, recorded_events
):
    graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
    attachment = receive_image(process, on_commit)
    assert attachment.file
    assert attachment.file.read() == JPEG
    assert (attachment.content_type, attachment.file_size) == ("image/jpeg", len(JPEG))
    media_requests = [r for r in graph.requests if IMAGE_MEDIA_ID in r.path]
    assert {r.headers["Authorization"] for r in media_requests} == {f"Bearer {TOKEN}"}
    # The screens showing the conversation re-fetch it: the placeholder becomes the image.
    assert any(
        e.name == "message.updated" and e.data["attachments"][0]["data_url"].startswith("http")
        for e in recorded_events
    )


def test_until_it_is_there_the_thread_shows_a_placeholder(
    graph, process, login, admin, account, inbox
):
    process(payload("image.json"))  # no commit callbacks: the download task did not run
    conversation = Attachment.objects.get().message.conversation
    html = (
        login(admin)
        .get(f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/_messages/")
        .content.decode()
    )
    assert "Carregando mídia…" in html
    assert "Taj Mahal" in html


def test_the_stored_file_is_served_only_through_the_signed_link(
    graph, process, on_commit, login, admin, account
):
    graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
    attachment = receive_image(process, on_commit)
    conversation = attachment.message.conversation
    html = (
        login(admin)
        .get(f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/_messages/")
        .content.decode()
    )
    links = re.findall(r'href="(/app/accounts/\d+/attachments/\d+/)"', html)
    assert links and "Carregando mídia" not in html
    link = links[0]
    assert attachment_path(attachment) == link
    response = login(admin).get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert login(admin).get(f"/media/{attachment.file.name}").status_code == 404


def test_a_file_over_the_limit_is_not_downloaded(graph, settings, process, on_commit):
    settings.WHATSAPP_MEDIA_MAX_BYTES = 100
    graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
    attachment = receive_image(process, on_commit)
    assert not attachment.file
    assert attachment.meta["error"] == "too_large"
    assert not any(r.path.startswith("/files/") for r in graph.requests)


def test_a_file_of_another_type_than_announced_is_refused(graph, process, on_commit):
    graph.add_media(
        IMAGE_MEDIA_ID, b"<html><script>alert(1)</script>", "image/jpeg", served_type="text/html"
    )
    attachment = receive_image(process, on_commit)
    assert not attachment.file
    assert attachment.meta["error"] == "bad_type"


def test_a_transient_failure_is_retried(graph, process, on_commit):
    from nexloo.celery import app

    graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
    graph.fail_next(status=500, code=2, title="temporarily unavailable", path=IMAGE_MEDIA_ID)
    app.conf.task_eager_propagates = False  # eager retries run at once
    try:
        attachment = receive_image(process, on_commit)
    finally:
        app.conf.task_eager_propagates = True
    assert attachment.file.read() == JPEG


def test_downloading_twice_stores_once(graph, process, on_commit):
    graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
    attachment = receive_image(process, on_commit)
    before = len(graph.requests)
    assert download_media.apply(args=[attachment.pk]).get() == "skipped"
    assert len(graph.requests) == before
