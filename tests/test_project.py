"""Project-level checks: the compose file users run, the settings defaults."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE = Path(settings.BASE_DIR)


def test_docker_compose_declares_the_stack():
    compose = yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())
    assert {"db", "redis", "web", "worker", "beat"} <= set(compose["services"])
    for name in ("web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith(
            "redis://"
        )


def test_tests_run_on_postgres_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    from channels.layers import get_channel_layer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    assert isinstance(get_channel_layer(), RedisPubSubChannelLayer)


def _start(tmp_path, show: str = "SECRET_KEY", **env):
    """Imports the settings in a fresh process, as `make run` or uvicorn would, and prints the
    setting `show`."""
    import os
    import subprocess
    import sys

    unset = ("SECRET_KEY", "DEBUG", "WEBHOOKS_ALLOW_PRIVATE_TARGETS")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            f"print(settings.{show})",
        ],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "nexloo.settings",
            "NEXLOO_VAR_DIR": str(tmp_path),
            "ENCRYPTION_KEY": "",
            **env,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_secret_key_development_makes_one_per_installation(tmp_path):
    first = _start(tmp_path, DEBUG="1")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and key != "dev-only-insecure-secret-key-change-me"
    stored = tmp_path / "secret_key"
    assert stored.read_text().strip() == key and stored.stat().st_mode & 0o777 == 0o600
    # The same key on the next start (sessions survive a restart), and another installation's
    # is another key; the encryption key comes from the same mechanism.
    assert _start(tmp_path, DEBUG="1").stdout.strip() == key
    assert _start(tmp_path / "other", DEBUG="1").stdout.strip() != key
    assert (tmp_path / "encryption_key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_a_missing_short_or_known_key(tmp_path):
    compose = (Path(settings.BASE_DIR) / "docker-compose.yml").read_text()
    for key in (
        "",
        "change-me",
        "dev-only-insecure-secret-key-change-me",
        "bench-only-" + "x7Kq2" * 12,
        "x" * 60,
        "curta-demais",
    ):
        started = _start(tmp_path, DEBUG="0", SECRET_KEY=key, ENCRYPTION_KEY="k")
        assert started.returncode != 0, key
        assert "SECRET_KEY" in started.stderr and "secrets.token_urlsafe" in started.stderr
    good = "q3Zk9-" * 10
    assert _start(tmp_path, DEBUG="0", SECRET_KEY=good, ENCRYPTION_KEY="k").returncode == 0
    # The compose file ships no secret: it refuses to start without them.
    assert "change-me" not in compose
    assert "${SECRET_KEY:?" in compose and "${POSTGRES_PASSWORD:?" in compose


def test_production_refuses_a_known_encryption_key_as_the_one_that_encrypts(tmp_path):
    from cryptography.fernet import Fernet

    known = "hJ3n8yN7fB5k8d0zq2VvJw3m0lYc4r1XH6m3oH0p9uE="  # bench/cost.py's, once
    own = Fernet.generate_key().decode()
    production = {"DEBUG": "0", "SECRET_KEY": "q3Zk9-" * 10}
    for keys in (known, f" {known} ,{own}"):
        started = _start(tmp_path, "ENCRYPTION_KEY", **production, ENCRYPTION_KEY=keys)
        assert started.returncode != 0, keys
        assert "ENCRYPTION_KEY is a publicly known value" in started.stderr
        assert "Fernet.generate_key()" in started.stderr
    # Behind a key of its own it still decrypts what it encrypted; development takes it as is.
    rotating = _start(tmp_path, "ENCRYPTION_KEY", **production, ENCRYPTION_KEY=f"{own},{known}")
    assert rotating.returncode == 0, rotating.stderr
    assert _start(tmp_path, "ENCRYPTION_KEY", DEBUG="1", ENCRYPTION_KEY=known).returncode == 0


def test_webhooks_may_reach_private_addresses_in_development_only(tmp_path):
    """Local development posts webhooks to receivers on the same machine; production refuses
    private targets unless told otherwise."""
    show = "WEBHOOKS_ALLOW_PRIVATE_TARGETS"
    production = {"DEBUG": "0", "SECRET_KEY": "q3Zk9-" * 10, "ENCRYPTION_KEY": "k"}
    assert _start(tmp_path, show, DEBUG="1").stdout.strip() == "True"
    assert _start(tmp_path, show, **production).stdout.strip() == "False"
    allowed = _start(tmp_path, show, **production, WEBHOOKS_ALLOW_PRIVATE_TARGETS="1")
    assert allowed.stdout.strip() == "True"


@pytest.mark.parametrize("script", sorted((BASE / "bench").glob("*.py")), ids=lambda p: p.name)
def test_no_benchmark_script_writes_a_secret_key_in_the_source(script):
    """A key in the repository is a key anyone can sign sessions and links with (SECRET_KEY) or
    decrypt the channels' credentials with (ENCRYPTION_KEY)."""
    import re

    assert not re.search(
        r"""(SECRET_KEY|ENCRYPTION_KEY)["']\s*[,:=]\s*f?["']""", script.read_text()
    )


@pytest.mark.parametrize("script", sorted((BASE / "bench").glob("*.py")), ids=lambda p: p.name)
def test_every_benchmark_script_compiles(script):
    """The benchmarks are not run by the suite; a script that does not even compile (a
    `global` after its first use, say) must still fail it."""
    compile(script.read_text(), str(script), "exec")
