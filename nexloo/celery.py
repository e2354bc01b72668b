"""The Celery application. Periodic tasks are listed in `nexloo.schedule`."""

import os

from celery import Celery, signals

from nexloo.schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")

app = Celery("nexloo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()

# Celery's Django fixup closes every database connection before and after each task and, in a
# prefork worker with Django's connection pool, closes the pool itself: every task then opened
# a new pool (its threads) and a new PostgreSQL connection, the largest part of a small task's
# cost. The fixup now recycles them only every DB_REUSE_MAX tasks; in between, each task hands
# its connections back to the pool (dropping a broken or obsolete one) the way Django does
# around a request.
DB_REUSE_MAX = 1000
app.conf["CELERY_DB_REUSE_MAX"] = DB_REUSE_MAX


@signals.task_prerun.connect
@signals.task_postrun.connect
def _connections_back_to_the_pool(task=None, **kwargs) -> None:
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in-process by a caller that owns its connection (tests, eager mode)
    from django.db import close_old_connections

    close_old_connections()
