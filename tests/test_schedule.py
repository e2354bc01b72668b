"""The periodic tasks outside a worker (issue 7, section 7): the in-process ticker of `make run`
(SQLite, no Redis) knows every task of the schedule, and `var/` exists whatever the database, so
that beat can keep its schedule there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nexloo import schedule

ROOT = Path(__file__).resolve().parents[1]


def fresh_python(code: str, **env: str) -> str:
    """Runs `code` in a new interpreter, as `make run` starts one: no Redis, its own settings."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "nexloo.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_inprocess_ticker_knows_every_periodic_task(tmp_path):
    out = fresh_python(
        "import json, django; django.setup()\n"
        "from nexloo.celery import app\n"
        "from nexloo.schedule import inprocess_entries\n"
        "print(json.dumps(sorted(inprocess_entries(app))))\n",
        DATABASE_URL="sqlite://:memory:",
        NEXLOO_VAR_DIR=str(tmp_path / "var"),
    )
    assert json.loads(out.strip().splitlines()[-1]) == sorted(schedule.BEAT_SCHEDULE)


class FakeTask:
    def __init__(self, ran: list[str], name: str) -> None:
        self.ran, self.name = ran, name

    def apply(self):
        self.ran.append(self.name)


class FakeApp:
    def __init__(self, names) -> None:
        self.ran: list[str] = []
        self.tasks = {n: FakeTask(self.ran, n) for n in names}

        class Loader:
            def import_default_modules(self):
                pass

        self.loader = Loader()


def test_only_registered_tasks_run_each_on_its_period(caplog):
    app = FakeApp(["conversations.sweep", "accounts.presence_sweep"])
    entries = schedule.inprocess_entries(app)
    assert set(entries) == {"conversations-sweep", "presence-sweep"}
    assert "wake-snoozed-conversations" in caplog.text  # reported once, not run
    last: dict[str, float] = {}
    assert set(schedule.run_due(app, entries, last, 1000.0)) == set(entries)
    assert schedule.run_due(app, entries, last, 1029.0) == []
    assert schedule.run_due(app, entries, last, 1030.0) == ["presence-sweep"]
    assert schedule.run_due(app, entries, last, 1060.0) == ["conversations-sweep", "presence-sweep"]
    assert app.ran.count("accounts.presence_sweep") == 3


def test_var_is_made_whatever_the_database(tmp_path):
    var = tmp_path / "var"
    out = fresh_python(
        "from django.conf import settings\nprint(settings.CELERY_BEAT_SCHEDULE_FILENAME)\n",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        NEXLOO_VAR_DIR=str(var),
    )
    assert var.is_dir()
    assert out.strip() == str(var / "celerybeat-schedule")
