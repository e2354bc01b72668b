"""The full stack as deployed: docker-compose.yml and the Dockerfile run the same processes as
`make run-stack`; /healthz and /readyz; bin/run-stack starting web, worker and beat from an empty
var/ and stopping all of them on Ctrl-C; the web server's processes sharing websockets through
Redis."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import websockets
import yaml
from django.db.utils import OperationalError

from accounts import services as account_services
from nexloo.core import health
from nexloo.core.tasks import heartbeat
from tests.stack import ROOT, Process, free_port, stack_env, wait_for

SECRETS = ("SECRET_KEY", "ENCRYPTION_KEY", "POSTGRES_PASSWORD")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def make_recipe(target: str) -> list[str]:
    """The command lines of a Makefile target's recipe."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def as_list(command) -> list[str]:
    return command if isinstance(command, list) else command.split()


# --- docker-compose.yml, the Dockerfile and the Makefile agree -------------------------------


def test_compose_runs_the_makefiles_processes():
    services = compose()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        assert make_recipe(name) == [f"bin/{name}"]
        assert as_list(services[name]["command"]) == [f"bin/{name}"]
    # bin/run-stack starts exactly those three scripts.
    run_stack = (ROOT / "bin/run-stack").read_text()
    assert '("web", "bin/web"), ("worker", "bin/worker"), ("beat", "bin/beat")' in run_stack
    assert make_recipe("run-stack")[-1] == "bin/run-stack"
    assert as_list(services["migrate"]["command"]) == [
        "python",
        "manage.py",
        "migrate",
        "--noinput",
    ]
    migrate = make_recipe("migrate")
    assert any("manage.py migrate --noinput" in line for line in migrate)


def test_compose_has_health_checks_volumes_and_order():
    spec = compose()
    services = spec["services"]
    for name in ("db", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert {"pgdata", "redisdata", "media"} <= set(spec["volumes"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["db"]["volumes"])
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "WEB_CONCURRENCY" in services["web"]["environment"]


def test_compose_has_no_default_secrets():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses, name
        assert all(use.startswith(":?") for use in uses), (name, uses)
    env = compose()["services"]["web"]["environment"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "nexloo:nexloo@" not in env["DATABASE_URL"]


def test_the_dockerfile_serves_with_bin_web_and_web_concurrency():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["bin/web"]' in dockerfile
    web = (ROOT / "bin/web").read_text()
    assert '--workers "${WEB_CONCURRENCY:-$(nproc)}"' in web
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile


# --- /healthz and /readyz ---------------------------------------------------------------------


def call(path: str, method: str = "GET") -> tuple[int, dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    from nexloo.asgi import application

    scope = {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}
    asyncio.run(application(scope, receive, send))
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_healthz_answers_without_touching_the_database():
    # No database mark: pytest-django refuses any database access in this test.
    status, body = call("/healthz")
    assert status == 200
    assert body["status"] == "ok" and isinstance(body["pid"], int)


@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_when_everything_answers_and_a_worker_was_seen():
    heartbeat.run()  # what the worker does when beat queues it
    status, body = call("/readyz")
    assert status == 200, body
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "broker": "ok", "worker": "ok"},
    }


@pytest.mark.django_db(transaction=True)
def test_readyz_names_a_worker_not_seen_for_a_minute():
    health.heartbeat_write(at=time.time() - 90)
    status, body = call("/readyz")
    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["worker"].startswith("no worker seen for 9")
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_names_redis_and_the_broker_when_redis_is_away(settings, monkeypatch):
    from nexloo.celery import app as celery_app

    heartbeat.run()
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    status, body = call("/readyz")
    assert status == 503
    assert body["checks"]["redis"] != "ok" and body["checks"]["broker"] != "ok"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_names_the_database_when_it_is_away(monkeypatch):
    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", refused)
    heartbeat.run()
    status, body = call("/readyz")
    assert status == 503
    assert body["checks"]["database"] == "OperationalError: connection refused"
    assert body["checks"]["redis"] == "ok"


def test_readyz_is_refused_to_other_methods():
    assert call("/readyz", method="POST")[0] == 405


def test_the_heartbeat_is_on_beats_schedule():
    from nexloo.schedule import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == "nexloo.heartbeat"
    assert entry["schedule"] < health.WORKER_SEEN_WITHIN / 2


# --- the real processes -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_run_stack_starts_from_an_empty_var_and_stops_on_ctrl_c(tmp_path):
    var = tmp_path / "fresh" / "var"  # does not exist: a fresh clone
    port = free_port()
    env = stack_env(
        NEXLOO_VAR_DIR=str(var),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        WORKER_CONCURRENCY="1",
        RUN_STACK_GRACE="25",
    )
    stack = Process([str(ROOT / "bin/run-stack")], env).start()
    try:
        base = f"http://127.0.0.1:{port}"
        ready = wait_for(
            lambda: requests.get(f"{base}/readyz", timeout=5).status_code == 200, timeout=120
        )
        assert ready, stack.output
        assert (var / "celerybeat-schedule").exists() or list(var.glob("celerybeat-schedule*"))
        pids = [int(p) for p in re.findall(r"started \(pid (\d+)\)", stack.output)]
        assert len(pids) == 3
        assert stack.stop(signal.SIGINT, timeout=60) == 0, stack.output
    finally:
        if stack.popen.poll() is None:
            stack.stop(signal.SIGKILL)
    out = stack.output
    for name in ("web", "worker", "beat"):
        assert re.search(rf"^{name}\s* \| ", out, re.M), (name, out)
    assert "SIGINT: stopping web, worker and beat" in out
    assert out.rstrip().endswith("stopped")
    for pid in pids:  # every child, and its own children, are gone
        assert not _alive(pid), (pid, out)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/healthz", timeout=2)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (reaped by its parent soon after).
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_websockets_and_presence_through_redis(account, admin):
    """WEB_CONCURRENCY=2: sockets held by either process receive an event that a request to
    either process caused, and presence written by one is seen by the other."""
    token = account_services.access_token_regenerate(user=admin.user)
    port = free_port()
    web = Process([str(ROOT / "bin/web")], stack_env(PORT=str(port), WEB_CONCURRENCY="2"))
    with web:
        base = f"http://127.0.0.1:{port}"
        started = wait_for(lambda: web.output.count("Started server process") == 2, 90)
        assert started, web.output
        assert wait_for(lambda: requests.get(f"{base}/healthz", timeout=2).ok, 60), web.output

        def pid(_n):
            return requests.get(f"{base}/readyz", headers={"Connection": "close"}, timeout=10)

        pids = set()
        with ThreadPoolExecutor(12) as pool:
            for _ in range(30):  # concurrent connections are spread over the processes
                pids |= {int(r.headers["x-served-by"]) for r in pool.map(pid, range(12))}
                if len(pids) == 2:
                    break
        assert len(pids) == 2, "two processes serve the port"

        async def scenario():
            url = f"ws://127.0.0.1:{port}/ws/?api_access_token={token}"
            sockets = [await websockets.connect(url) for _ in range(6)]
            # The client offers permessage-deflate; bin/web serves frames uncompressed.
            assert all("Sec-WebSocket-Extensions" not in ws.response.headers for ws in sockets)
            try:
                await asyncio.sleep(0.5)  # every socket has joined its groups
                response = await asyncio.to_thread(
                    requests.post,
                    f"{base}/api/v1/accounts/{account.pk}/contacts",
                    json={"name": "Maria Cliente", "phone_number": "+5511987650099"},
                    headers={"api_access_token": token},
                    timeout=10,
                )
                assert response.status_code == 200, response.text
                received = []
                for ws in sockets:
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                        if frame["event"] == "contact.created":
                            received.append(frame["data"]["name"])
                            break
                return received
            finally:
                for ws in sockets:
                    await ws.close()

        assert asyncio.run(scenario()) == ["Maria Cliente"] * 6
        admin.refresh_from_db()
        assert admin.last_seen_at is not None  # the sockets' heartbeat, in the shared database
