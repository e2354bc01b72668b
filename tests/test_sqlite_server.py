"""`make run` on SQLite under concurrent writers (issue 7, section 3): a live uvicorn server on
a SQLite file, in a subprocess with its own environment (the suite itself runs on PostgreSQL).
Simultaneous messages are each stored once and no request answers a 5xx; two agents switching
availability at the same moment get no 500 and the stored state is what they chose last."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
AT_ONCE = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sqlite-server")
    db = tmp / "nexloo.sqlite3"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE")
        },
        "DATABASE_URL": f"sqlite:///{db}",
        "NEXLOO_VAR_DIR": str(tmp / "var"),
        "DJANGO_SETTINGS_MODULE": "nexloo.settings",
        "PYTHONPATH": str(ROOT),
    }
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 300}
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)
    assert migrated.returncode == 0, migrated.stderr
    setup = subprocess.run([sys.executable, str(ROOT / "tests" / "sqlite_server_setup.py")], **run)
    assert setup.returncode == 0, setup.stderr
    data = json.loads(setup.stdout.strip().splitlines()[-1])
    port = free_port()
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "nexloo.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp / "server.log").read_text()
            try:
                requests.get(base + "/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)  # waiting for the server to listen
        yield {**data, "base": base, "db": db, "log": tmp / "server.log"}
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def api(server, path: str) -> str:
    return f"{server['base']}/api/v1/accounts/{server['account']}/{path}"


def headers(server) -> dict:
    return {"api_access_token": server["token"]}


def create_conversation(server, source_id: str) -> int:
    response = requests.post(
        api(server, "conversations"),
        json={"inbox_id": server["inbox"], "source_id": source_id},
        headers=headers(server),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def at_once(calls) -> list:
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        start.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def stored(server, sql: str, *params):
    with sqlite3.connect(server["db"]) as db:
        return db.execute(sql, params).fetchall()


def test_simultaneous_messages_are_each_stored_once(server):
    one = create_conversation(server, "5511900000000")
    many = [create_conversation(server, f"55119000001{n:02d}") for n in range(AT_ONCE)]

    def post(display_id: int, content: str):
        return lambda: requests.post(
            api(server, f"conversations/{display_id}/messages"),
            json={"content": content, "message_type": "incoming"},
            headers=headers(server),
            timeout=120,
        )

    calls = [post(one, f"na mesma {n}") for n in range(AT_ONCE)]
    calls += [post(d, f"em outra {n}") for n, d in enumerate(many)]
    responses = at_once(calls)
    assert [r.status_code for r in responses] == [200] * len(calls), [
        (r.status_code, r.text[:200]) for r in responses if r.status_code != 200
    ]
    rows = stored(server, "SELECT content FROM conversations_message WHERE content <> ''")
    contents = [c for (c,) in rows]
    for n in range(AT_ONCE):
        assert contents.count(f"na mesma {n}") == 1
        assert contents.count(f"em outra {n}") == 1


def test_two_agents_switching_availability_at_once(server):
    csrf = "x" * 32  # any well-formed token, sent as cookie and header alike

    def switch(agent: dict, availability: str):
        return lambda: requests.post(
            f"{server['base']}/app/accounts/{server['account']}/availability/",
            data={"availability": availability},
            cookies={"sessionid": agent["session"], "csrftoken": csrf},
            headers={"X-CSRFToken": csrf, "HX-Request": "true"},
            timeout=120,
        )

    sofia, bruno = server["agents"]
    for availability in ("online", "busy", "offline", "online"):
        responses = at_once([switch(sofia, availability), switch(bruno, availability)])
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        rows = stored(
            server,
            "SELECT availability FROM accounts_accountuser WHERE id IN (?, ?)",
            sofia["id"],
            bruno["id"],
        )
        assert [a for (a,) in rows] == [availability, availability]


def test_a_write_that_still_times_out_answers_503_and_says_so(server):
    """Another process holds SQLite's write lock past the busy timeout."""
    display_id = create_conversation(server, "5511900000999")
    holder = sqlite3.connect(server["db"], timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = requests.post(
            api(server, f"conversations/{display_id}/messages"),
            json={"content": "bloqueada", "message_type": "incoming"},
            headers=headers(server),
            timeout=120,
        )
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503, response.text
    assert response.json()["message"] == (
        "O servidor está ocupado e nada foi salvo. Tente de novo em instantes."
    )
    assert response.headers["Retry-After"]
