"""Periodic tasks, in one place. Each has an expiry shorter than its period, so that a backlog
(a worker that was down) cannot pile up duplicates.

With Redis, Celery beat runs them. Without Redis (`make run` on a laptop) there is no beat: a
daemon thread in the web process runs them eagerly on the same periods.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)

BEAT_SCHEDULE = {
    # /readyz: "a worker seen in the last minute" (nexloo/core/health.py).
    "worker-heartbeat": {
        "task": "nexloo.heartbeat",
        "schedule": 20.0,
        "options": {"expires": 15},
    },
    "wake-snoozed-conversations": {
        "task": "conversations.wake_snoozed",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "conversations-sweep": {
        "task": "conversations.sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "automation-time-rules": {
        "task": "automations.time_rules",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "automation-runs-prune": {
        "task": "automations.prune_runs",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "whatsapp-requeue-events": {
        "task": "whatsapp.requeue_events",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Received media whose download was never queued (Redis away) or ran out of retries.
    "whatsapp-requeue-media": {
        "task": "whatsapp.requeue_media",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "whatsapp-sync-templates": {
        "task": "whatsapp.sync_all_templates",
        "schedule": 6 * 3600.0,
        "options": {"expires": 3000},
    },
    "presence-sweep": {
        "task": "accounts.presence_sweep",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}

_started = False


def inprocess_entries(app=None) -> dict[str, dict]:
    """The schedule's entries whose task this process knows. Celery's task discovery is lazy: a
    worker triggers it when it starts, a web process never does, so the tasks modules no view
    imported (conversations.tasks, accounts.tasks…) were unknown to the in-process ticker. Their
    discovery is triggered here; an entry whose task is still unknown is reported once and left
    out, never run into NotRegistered every few seconds."""
    if app is None:
        from nexloo.celery import app
    app.loader.import_default_modules()
    entries = {name: e for name, e in BEAT_SCHEDULE.items() if e["task"] in app.tasks}
    missing = sorted(set(BEAT_SCHEDULE) - set(entries))
    if missing:
        logger.error("periodic tasks not registered, not run: %s", ", ".join(missing))
    return entries


def run_due(app, entries: dict[str, dict], last: dict[str, float], now: float) -> list[str]:
    """Runs, eagerly, the entries whose period has passed since `last` (updated). Returns their
    names."""
    ran = []
    for name, entry in entries.items():
        if now - last.get(name, float("-inf")) >= entry["schedule"]:
            last[name] = now
            ran.append(name)
            try:
                app.tasks[entry["task"]].apply()
            except Exception:
                logger.exception("periodic task %s failed", name)
    return ran


def start_inprocess_ticker() -> None:
    """Development without Redis: run the periodic tasks in a thread of this process."""
    global _started
    if _started:
        return
    _started = True
    from nexloo.celery import app

    entries = inprocess_entries(app)

    def loop() -> None:
        last: dict[str, float] = {}
        while True:
            run_due(app, entries, last, time.monotonic())
            time.sleep(5)

    threading.Thread(target=loop, name="inprocess-beat", daemon=True).start()
