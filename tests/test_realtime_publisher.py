"""The websocket publisher hands one frame to many groups at once (issue #12: an event for a
thousand open sockets must not wait for one group_send after another)."""

from __future__ import annotations

import asyncio

from nexloo.core import realtime


class SlowLayer:
    """A channel layer whose every send takes a moment, recording how many overlap."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def group_send(self, group, message):
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.005)
        self.sent.append(group)
        self.in_flight -= 1


class FailingOnce(SlowLayer):
    async def group_send(self, group, message):
        if group.endswith(".user.3"):
            raise ConnectionError("Redis went away")
        await super().group_send(group, message)


def run(layer, groups, monkeypatch):
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    publisher = realtime._LoopThread()
    publisher.submit([(g, {"type": realtime.MESSAGE_TYPE, "frame": {}}) for g in groups])
    assert publisher.idle.wait(10)
    publisher.loop.call_soon_threadsafe(publisher.loop.stop)


def test_sends_overlap_within_the_bound_and_reach_every_group(monkeypatch):
    layer = SlowLayer()
    groups = [realtime.user_group(1, uid) for uid in range(300)]
    run(layer, groups, monkeypatch)
    assert sorted(layer.sent) == sorted(groups)  # each once
    assert 1 < layer.most_in_flight <= realtime.SEND_CONCURRENCY


def test_one_failed_group_does_not_stop_the_others(monkeypatch, caplog):
    layer = FailingOnce()
    groups = [realtime.user_group(1, uid) for uid in range(10)]
    run(layer, groups, monkeypatch)
    assert sorted(layer.sent) == sorted(g for g in groups if not g.endswith(".user.3"))
    assert "1 of 10 group(s) failed" in caplog.text


class RecordingLayer(SlowLayer):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, dict]] = []

    async def group_send(self, group, message):
        self.messages.append((group, message))
        await super().group_send(group, message)


def published(user_ids, monkeypatch) -> RecordingLayer:
    layer = RecordingLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(realtime, "_publisher", None)
    realtime.publish_to_users(7, user_ids, {"event": "contact.created", "account_id": 7})
    assert realtime.wait_until_sent(10)
    return layer


def test_an_event_for_many_is_one_message_to_the_account_with_each_number(monkeypatch):
    layer = published(range(1000), monkeypatch)
    [(group, message)] = layer.messages
    assert group == realtime.account_group(7)
    assert message["type"] == realtime.FANOUT_TYPE
    assert set(message["seqs"]) == {str(uid) for uid in range(1000)}
    frame = realtime.fanout_frame(message, 42)
    assert frame["event"] == "contact.created" and frame["seq"] == message["seqs"]["42"]
    assert frame["stream"] == message["frame"]["stream"]
    assert realtime.fanout_frame(message, 1000) is None  # not a recipient: nothing to send


def test_an_event_for_a_few_goes_to_each_ones_group(monkeypatch):
    few = list(range(realtime.FANOUT_AT - 1))
    layer = published(few, monkeypatch)
    assert sorted(group for group, _m in layer.messages) == sorted(
        realtime.user_group(7, uid) for uid in few
    )
    assert {m["type"] for _g, m in layer.messages} == {realtime.MESSAGE_TYPE}
