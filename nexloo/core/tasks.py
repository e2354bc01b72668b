"""Queueing background work without letting a broker outage fail the request that asked for it.

Work is queued after the commit (a rolled-back change queues nothing). If Redis cannot be reached
the task is not queued: that is logged and the request carries on, since what it wrote is already
committed. What the lost task would have done is picked up by the periodic sweep
(`conversations.sweep`): queued replies are re-queued, waiting queues drained.

Only broker errors are caught: a task that fails when run eagerly (development, tests) still
raises as before.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import Task, shared_task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args) -> bool:
    """Queues `task(*args)` now; False when the broker could not be reached."""
    try:
        task.delay(*args)
    except (OperationalError, RedisError) as exc:
        logger.warning("could not queue %s%r, left to the sweep: %s", task.name, args, exc)
        return False
    return True


def enqueue_on_commit(task: Task, *args) -> None:
    """Queues `task(*args)` once the current transaction commits (at once outside of one)."""
    transaction.on_commit(partial(enqueue, task, *args))


@shared_task(name="nexloo.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat queues this every 20 s; the worker that runs it marks itself seen (for /readyz)."""
    from nexloo.core.health import heartbeat_write

    heartbeat_write()
