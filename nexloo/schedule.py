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


def start_inprocess_ticker() -> None:
    """Development without Redis: run the periodic tasks in a thread of this process."""
    global _started
    if _started:
        return
    _started = True

    def loop() -> None:
        from celery import current_app

        last: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for name, entry in BEAT_SCHEDULE.items():
                if now - last.get(name, 0) >= entry["schedule"]:
                    last[name] = now
                    try:
                        current_app.tasks[entry["task"]].apply()
                    except Exception:
                        logger.exception("periodic task %s failed", name)
            time.sleep(5)

    threading.Thread(target=loop, name="inprocess-beat", daemon=True).start()
