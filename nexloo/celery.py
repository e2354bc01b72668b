"""The Celery application. Periodic tasks are listed in `nexloo.schedule`."""

import contextlib
import os

from celery import Celery, signals
from celery.fixups.django import DjangoWorkerFixup

from nexloo.schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")

app = Celery("nexloo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()


# Celery's Django fixup closes every database connection before and after each task (they go
# back to Django's pool) and, in a prefork worker, closes the pool itself each time: every task
# then opened a new pool (its threads) and a new PostgreSQL connection, the largest part of a
# small task's cost. The pool is closed once, when a worker process starts (what it inherited
# from the parent is not its own); between tasks only the connections go back to it.
def _pool_kept_between_tasks(self) -> bool:  # replaces DjangoWorkerFixup._is_prefork
    return False


DjangoWorkerFixup._is_prefork = _pool_kept_between_tasks


@signals.worker_process_init.connect
def _own_pool_in_each_worker_process(**kwargs) -> None:
    from django.db import connections

    for conn in connections.all():
        if hasattr(conn, "close_pool"):
            with contextlib.suppress(KeyError):
                conn.close_pool()
