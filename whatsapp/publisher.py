"""Hands stored webhook events to Celery from a background thread, so that the webhook's event
loop never waits on the broker. The ids that piled up while one batch was being queued go out
together as the next task (`whatsapp.process_events`), so under load the broker sees a message
per batch, not per delivery; alone, an id goes out at once. An id still in this queue when the
process dies is not lost: the event is stored, and `whatsapp.requeue_events` queues it again."""

from __future__ import annotations

import logging
import os
import queue
import threading

logger = logging.getLogger(__name__)

BATCH = 50
_queue: queue.SimpleQueue[int] = queue.SimpleQueue()
_thread: threading.Thread | None = None
_pid: int | None = None
_lock = threading.Lock()
_idle = threading.Event()
_idle.set()
_pending = 0


def _run() -> None:
    global _pending
    from django.db import close_old_connections

    from nexloo.core.tasks import enqueue
    from whatsapp.tasks import process_events

    while True:
        ids = [_queue.get()]
        while len(ids) < BATCH:
            try:
                ids.append(_queue.get_nowait())
            except queue.Empty:
                break
        try:
            enqueue(process_events, ids)  # logs and leaves them to the sweep if Redis is away
        except Exception:  # eager mode (development) runs the task right here
            logger.exception("processing webhook events %s failed", ids)
        finally:
            close_old_connections()
            with _lock:
                _pending -= len(ids)
                if _pending == 0:
                    _idle.set()


def submit(event_id: int) -> None:
    global _thread, _pid, _pending
    with _lock:
        if _thread is None or _pid != os.getpid() or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="whatsapp-publisher", daemon=True)
            _pid = os.getpid()
            _thread.start()
        _pending += 1
        _idle.clear()
    _queue.put(event_id)


def wait_until_idle(timeout: float = 10.0) -> bool:
    """Blocks until every submitted id was handed over (tests)."""
    return _idle.wait(timeout)
