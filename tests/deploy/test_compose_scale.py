"""docker-compose.scale.yml (issue 16.5) cannot run here (no Docker engine): check that it lines up with the
CLI, the settings, the replication set-up and the connection budget."""

from __future__ import annotations

import inspect
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

import rustok.config as config
from rustok.cli import build_parser, worker_connection_budget
from rustok.config import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("api", "worker", "migrate")
# Read by uvicorn itself (rustok serve runs it): trusted proxies for X-Forwarded-For (docs/operators.md).
UVICORN_ENV = {"FORWARDED_ALLOW_IPS"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.scale.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def _command(service) -> list[str]:
    cmd = service.get("command")
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def _option(cmd: list[str], flag: str) -> str:
    return cmd[cmd.index(flag) + 1]


def _settings(service, monkeypatch) -> Settings:
    for var in ("DATABASE_URL", "DATABASE_REPLICA_URLS"):
        monkeypatch.delenv(var, raising=False)
    for key, value in service["environment"].items():
        monkeypatch.setenv(key, str(value))
    return Settings.from_env()


def test_services_images_and_volumes(compose, services):
    assert {"postgres", "postgres-replica", "migrate", "api", "worker", "lb"} <= set(services)
    assert services["postgres"]["image"] == services["postgres-replica"]["image"] == "postgres:18"
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
    assert services["api"]["deploy"]["replicas"] >= 2, "several API replicas"
    assert services["worker"]["deploy"]["replicas"] >= 2, "several workers"
    assert "ports" not in services["api"], "API replicas are reached through the load balancer only"
    assert "8000:8000" in services["lb"]["ports"]
    assert {"pgdata", "replicadata"} <= set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", ()):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{source} is mounted but missing"


def test_commands_are_real_cli_commands(services):
    parser = build_parser()
    for name in APP_SERVICES:
        cmd = _command(services[name])
        assert cmd[0] == "rustok"
        args = parser.parse_args(cmd[1:])  # SystemExit on an unknown command or flag
        if name == "api":
            assert args.command == "serve" and args.workers >= 1
            assert args.host == "0.0.0.0" and args.port == 8000
        if name == "worker":
            assert args.command == "worker"
        if name == "migrate":
            assert args.command == "migrate"


def test_environment_is_read_by_the_settings(services, monkeypatch):
    source = inspect.getsource(config)
    for name in APP_SERVICES:
        for var in services[name]["environment"]:
            assert var in UVICORN_ENV or f'"{var}"' in source, f"{name} sets {var}, which rustok.config does not read"
    api = _settings(services["api"], monkeypatch)
    pg = services["postgres"]["environment"]
    assert urlsplit(api.database_url).hostname == "postgres"
    assert [urlsplit(u).hostname for u in api.replica_urls] == ["postgres-replica"]
    for url in (api.database_url, *api.replica_urls):
        parts = urlsplit(url)
        assert (parts.username, parts.password, parts.path) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"],
                                                                 "/" + pg["POSTGRES_DB"])
    assert api.replica_max_lag > 0 and api.replica_wait > 0
    for name in ("worker", "migrate"):
        settings = _settings(services[name], monkeypatch)
        assert urlsplit(settings.database_url).hostname == "postgres"
        assert settings.replica_urls == (), f"{name}: LISTEN/NOTIFY and writes need the primary"


def test_start_order_and_health_checks(services):
    def needs(name, other, condition):
        assert services[name]["depends_on"][other]["condition"] == condition, (name, other)

    needs("postgres-replica", "postgres", "service_healthy")
    needs("migrate", "postgres", "service_healthy")
    for name in ("api", "worker"):
        needs(name, "postgres", "service_healthy")
        needs(name, "migrate", "service_completed_successfully")
    needs("api", "postgres-replica", "service_healthy")
    needs("lb", "api", "service_healthy")
    for name in ("postgres", "postgres-replica", "api", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert "pg_is_in_recovery()" in " ".join(services["postgres-replica"]["healthcheck"]["test"])


def test_replication_wiring(services):
    primary = _command(services["postgres"])
    assert "wal_level=replica" in primary and any(a.startswith("max_wal_senders=") for a in primary)
    init = (ROOT / "deploy/primary-init.sh").read_text()
    assert re.search(r"host replication \$\{POSTGRES_USER\} all scram-sha-256", init)
    replica = services["postgres-replica"]
    env = replica["environment"]
    assert env["PRIMARY_HOST"] == "postgres"
    assert env["PGUSER"] == services["postgres"]["environment"]["POSTGRES_USER"]
    script = (ROOT / "deploy/replica-entrypoint.sh").read_text()
    assert "pg_basebackup" in script and " -R " in script and "${REPLICATION_SLOT}" in script
    assert "hot_standby_feedback=on" in script
    assert replica["entrypoint"][-1] == "/deploy/replica-entrypoint.sh"
    nginx = (ROOT / "deploy/nginx.conf").read_text()
    port = _option(_command(services["api"]), "--port")
    assert f"http://api:{port}" in nginx and "listen 8000" in nginx


def _max_connections(service) -> int:
    return int(next(a for a in _command(service) if a.startswith("max_connections=")).split("=")[1])


def test_connection_budget_fits(services, monkeypatch):
    api = _settings(services["api"], monkeypatch)
    processes = int(_option(_command(services["api"]), "--workers")) * services["api"]["deploy"]["replicas"]
    worker = _settings(services["worker"], monkeypatch)
    on_primary = (processes * (api.db_pool_size + 1)
                  + services["worker"]["deploy"]["replicas"] * worker_connection_budget(worker) + 1)
    on_replica = processes * (api.db_pool_size + 2)
    reserved = 3  # superuser_reserved_connections
    assert on_primary <= _max_connections(services["postgres"]) - reserved
    # a standby's max_connections must be at least the primary's: it inherits it from the base backup
    assert on_replica <= _max_connections(services["postgres"]) - reserved
    header = (ROOT / "docker-compose.scale.yml").read_text()
    assert f"= {on_primary};" in header and f"= {on_replica};" in header, "the file's own budget comment is current"
