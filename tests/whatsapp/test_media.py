"""Received media: downloaded by its own task through the Graph API (the stand-in), authorised,
size-limited, its type checked; until then (or if it cannot be had) the thread says so; the
file reaches agents only through the conversation's signed attachment link. A download that
could not be queued, or ran out of retries, is queued again by the periodic
`whatsapp.requeue_media` until the media id expires (30 days)."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations.files import attachment_path
from conversations.models import Attachment
from nexloo import schedule
from tests.conversations.test_redis_down import broker_down
from tests.whatsapp.conftest import TOKEN, payload
from whatsapp import services
from whatsapp.models import WhatsAppChannel
from whatsapp.tasks import download_media, requeue_media

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


@pytest.fixture
def retries_run_at_once():
    """Eager tasks re-run their retries at once when errors do not propagate."""
    from nexloo.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture
def requeue(on_commit):
    """Runs the periodic task at `at` (the clock frozen there), its queueing included."""

    def _requeue(at, *, redis_down=False) -> int:
        broker = broker_down() if redis_down else contextlib.nullcontext()
        with time_machine.travel(at, tick=False), broker, on_commit():
            return requeue_media.apply().get()

    return _requeue


def media_requests(graph) -> int:
    return len([r for r in graph.requests if IMAGE_MEDIA_ID in r.path])


class TestRequeue:
    """The clock is frozen and moved by hand (time_machine): nothing waits."""

    def test_it_is_a_periodic_task(self):
        entry = schedule.BEAT_SCHEDULE["whatsapp-requeue-media"]
        assert entry["task"] == requeue_media.name
        assert entry["options"]["expires"] < entry["schedule"]

    def test_a_download_that_could_not_be_queued_is_queued_again(
        self, graph, process, on_commit, requeue, caplog
    ):
        graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
        received = timezone.now()
        # Redis is away when the message arrives.
        with time_machine.travel(received, tick=False), broker_down(), on_commit():
            process(payload("image.json"))
        assert "could not queue whatsapp.download_media" in caplog.text
        attachment = Attachment.objects.get()
        assert not attachment.file and "error" not in attachment.meta
        assert media_requests(graph) == 0

        # Younger than a minute: its own task may still be on its way.
        assert requeue(received + timedelta(seconds=30)) == 0
        # Queued again… and lost again: Redis is still away.
        assert requeue(received + timedelta(minutes=2), redis_down=True) == 1
        # Left alone for a while, in case that queueing had worked.
        assert requeue(received + timedelta(minutes=10)) == 0
        assert media_requests(graph) == 0
        # Redis is back: queued and run.
        assert requeue(received + timedelta(minutes=18)) == 1
        attachment.refresh_from_db()
        assert attachment.file.read() == JPEG
        assert requeue(received + timedelta(hours=2)) == 0  # stored: nothing left to do

    @pytest.mark.usefixtures("retries_run_at_once")
    def test_after_the_tasks_retries_it_is_tried_again_with_a_growing_pause(
        self, graph, process, on_commit, requeue
    ):
        graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
        attempts = services.MEDIA_RETRIES + 1
        received = timezone.now()
        graph.fail_next(
            status=500, code=2, title="unavailable", path=IMAGE_MEDIA_ID, times=attempts
        )
        with time_machine.travel(received, tick=False), on_commit():
            process(payload("image.json"))
        attachment = Attachment.objects.get()
        assert media_requests(graph) == attempts
        assert not attachment.file and "error" not in attachment.meta  # not given up for good
        assert attachment.meta["download_tries"] == 1

        assert requeue(received + timedelta(minutes=14)) == 0  # the first pause is 15 minutes
        graph.fail_next(
            status=500, code=2, title="unavailable", path=IMAGE_MEDIA_ID, times=attempts
        )
        assert requeue(received + timedelta(minutes=16)) == 1  # … and Meta is still failing
        attachment.refresh_from_db()
        assert attachment.meta["download_tries"] == 2
        assert requeue(received + timedelta(minutes=16 + 29)) == 0  # the second pause: 30 min
        assert requeue(received + timedelta(minutes=16 + 31)) == 1
        attachment.refresh_from_db()
        assert attachment.file.read() == JPEG

    def test_each_run_queues_a_bounded_number_oldest_first(self, graph, process, on_commit):
        graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
        received = timezone.now()
        for n in range(3):
            at = received + timedelta(seconds=n)
            with time_machine.travel(at, tick=False), broker_down(), on_commit():
                process(payload("image.json", suffix=n))
        at = received + timedelta(minutes=5)
        with time_machine.travel(at, tick=False):
            with on_commit():
                assert services.media_requeue(at=at, limit=2) == 2
            stored = [bool(a.file) for a in Attachment.objects.order_by("created_at")]
            assert stored == [True, True, False]
            with on_commit():
                assert services.media_requeue(at=at, limit=2) == 1
            assert services.media_requeue(at=at, limit=2) == 0
        assert all(a.file for a in Attachment.objects.all())

    def test_media_older_than_meta_keeps_it_is_marked_unavailable(
        self, graph, process, on_commit, requeue, login, admin, account
    ):
        received = timezone.now()
        with time_machine.travel(received, tick=False), broker_down(), on_commit():
            process(payload("image.json"))
        assert requeue(received + timedelta(days=31)) == 0
        attachment = Attachment.objects.get()
        assert attachment.meta["error"] == "expired"
        assert media_requests(graph) == 0
        conversation = attachment.message.conversation
        html = (
            login(admin)
            .get(f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/_messages/")
            .content.decode()
        )
        assert "Imagem: indisponível" in html
        assert "Carregando mídia" not in html

    def test_a_refused_token_keeps_the_file_waiting_for_the_new_token(
        self, graph, channel, process, on_commit, requeue, account, admin
    ):
        graph.add_media(IMAGE_MEDIA_ID, JPEG, "image/jpeg")
        graph.token = "a-token-meta-no-longer-knows"
        received = timezone.now()
        with time_machine.travel(received, tick=False), on_commit():
            process(payload("image.json"))
        attachment = Attachment.objects.get()
        assert not attachment.file and "error" not in attachment.meta  # the file is not to blame
        assert WhatsAppChannel.objects.get(pk=channel.pk).auth_error
        # No point while Meta refuses the token.
        assert requeue(received + timedelta(hours=1)) == 0
        graph.token = "EAAG-the-renewed-token-0001"
        services.channel_update(
            account=account, actor=admin, channel=channel, access_token=graph.token
        )
        assert requeue(received + timedelta(hours=1)) == 1
        attachment.refresh_from_db()
        assert attachment.file.read() == JPEG
