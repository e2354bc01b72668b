from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from accounts import services as account_services
from nexloo.celery import app as celery_app
from nexloo.core import events
from tests.factories import AccountFactory, AccountUserFactory, AdminFactory


def pytest_configure(config):
    if not settings.USING_POSTGRES or not settings.REDIS_URL:
        pytest.exit(
            "The tests run against PostgreSQL and Redis: use `make test`, or set DATABASE_URL "
            "and REDIS_URL (see README).",
            returncode=2,
        )


@pytest.fixture(autouse=True, scope="session")
def _fresh_cache():
    """The test databases start empty every run; the cache (Redis) must too, or ids reused by a
    new run would meet entries an old run left behind. Only this worker's keys are removed."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{settings.REDIS_KEY_PREFIX}:*"):
        client.delete(key)
    yield


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run in-process right after the commit; tests that need a real worker say so."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _celery_join_allowed():
    """Celery marks "inside a task" with a process-wide flag that eager calls set and restore
    around themselves; two eager calls overlapping in threads (a live server, a concurrency
    test) can restore it to True for good, and every later `.get()` in this process would
    raise "Never call result.get() within a task". Each test starts outside any task."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True, scope="session")
def _close_pool_before_teardown(django_db_setup):
    """Threads (the live server, concurrency tests) leave pooled connections open; the test
    database can only be dropped once they are closed."""
    yield
    for conn in connections.all():
        if getattr(conn, "pool", None) is not None:
            conn.close_pool()


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def _no_count_cache(monkeypatch, request):
    """Factories write without events, so the conversation counts' cache (invalidated by
    events) would go stale inside a test; tests of that cache opt back in."""
    if "count_cache" not in request.keywords:
        monkeypatch.setattr("conversations.selectors.COUNTS_TTL", 0)


@pytest.fixture
def account(db):
    return AccountFactory(name="Cenário 4 Ltda")


@pytest.fixture
def other_account(db):
    return AccountFactory(name="Outra Empresa")


@pytest.fixture
def admin(account):
    return AdminFactory(account=account, user__name="Ana Administradora")


@pytest.fixture
def agent(account):
    return AccountUserFactory(account=account, user__name="Sofia Secretária")


@pytest.fixture
def outsider(other_account):
    """An administrator of another account."""
    return AdminFactory(account=other_account, user__name="Otto de Fora")


def api_client_for(membership) -> APIClient:
    token = account_services.access_token_regenerate(user=membership.user)
    client = APIClient()
    client.credentials(HTTP_API_ACCESS_TOKEN=token)
    return client


@pytest.fixture
def api_for():
    return api_client_for


@pytest.fixture
def admin_api(admin):
    return api_client_for(admin)


@pytest.fixture
def agent_api(agent):
    return api_client_for(agent)


@pytest.fixture
def outsider_api(outsider):
    return api_client_for(outsider)


@pytest.fixture
def login(client):
    """Signs a membership's user in on Django's test client and returns the client."""

    def _login(membership):
        client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Runs on-commit callbacks (events, task queueing) at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def recorded_events():
    with events.recorded() as bucket:
        yield bucket


PROJECT_LOGGERS = ("nexloo", "accounts", "conversations", "inboxes", "teams", "automations",
                   "whatsapp", "webhooks")  # fmt: skip


@pytest.fixture(autouse=True)
def _project_loggers_heard():
    """An in-process server or worker started by an earlier test may apply its logging
    configuration and mute the existing loggers; tests that read the project's log lines
    (caplog) must hear them whatever ran before."""
    import logging

    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.startswith(PROJECT_LOGGERS):
            logger.disabled = False
            logger.propagate = True
            logger.setLevel(logging.NOTSET)
    level = logging.root.level
    if level > logging.INFO:  # a worker started in-process set the root logger's level
        logging.root.setLevel(logging.INFO)
    yield
    logging.root.setLevel(level)
