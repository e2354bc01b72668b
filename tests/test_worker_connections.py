"""A prefork worker keeps its database pool between tasks (Celery's Django fixup closed it
before and after every task, so each task opened a new pool and a new PostgreSQL connection)."""

from __future__ import annotations

import types

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from nexloo.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


def test_tasks_hand_connections_back_to_the_pool_without_closing_it():
    fixup = DjangoWorkerFixup(celery_app)
    fixup.worker = types.SimpleNamespace(pool_cls="celery.concurrency.prefork:TaskPool")
    task = types.SimpleNamespace(request=types.SimpleNamespace(is_eager=False))
    connection.ensure_connection()
    pool = connection.pool
    for _ in range(5):  # what a prefork worker process runs around each task
        fixup.on_task_prerun(task)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        fixup.on_task_postrun(task)
        assert connection.connection is None  # handed back: nothing held between tasks
    assert connection.pool is pool and not pool.closed
