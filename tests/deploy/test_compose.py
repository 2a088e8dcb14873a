"""docker-compose.yml cannot run here (no Docker engine), so check it lines up with the code."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from rustok.cli import build_parser
from rustok.config import Settings, normalize_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service) -> list[str]:
    cmd = service.get("command")
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def test_services_and_images(compose):
    services = compose["services"]
    assert {"postgres", "api", "worker", "migrate"} <= set(services)
    assert services["postgres"]["image"] == "postgres:18"
    for name in ("api", "worker", "migrate"):
        assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").exists()
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])


def test_healthchecks(compose):
    for name in ("postgres", "api", "worker"):
        assert compose["services"][name]["healthcheck"]["test"], name
    api_check = " ".join(compose["services"]["api"]["healthcheck"]["test"])
    assert "/readyz" in api_check


def test_commands_are_real_cli_commands(compose):
    parser = build_parser()
    for name in ("api", "worker", "migrate"):
        cmd = _command(compose["services"][name])
        assert cmd[0] == "rustok"
        parser.parse_args(cmd[1:])  # raises SystemExit on an unknown command or flag
    assert _command(compose["services"]["api"])[1] == "serve"
    assert _command(compose["services"]["worker"])[1] == "worker"


def test_database_url_wiring(compose):
    pg = compose["services"]["postgres"]["environment"]
    for name in ("api", "worker", "migrate"):
        env = compose["services"][name]["environment"]
        url = normalize_database_url(env["DATABASE_URL"])
        m = re.match(r"postgresql://([^:]+):([^@]+)@([^:/]+):(\d+)/(\w+)$", url)
        assert m, url
        user, password, host, port, db = m.groups()
        assert (user, password, db) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"])
        assert host == "postgres" and port == "5432"
        assert compose["services"][name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_environment_variables_are_ones_the_code_reads(compose, monkeypatch):
    import inspect

    import rustok.config as config

    source = inspect.getsource(config)
    for name in ("api", "worker", "migrate"):
        for var in compose["services"][name]["environment"]:
            assert f'"{var}"' in source, f"{name} sets {var}, which rustok.config does not read"
    monkeypatch.setenv("RUSTOK_INDEX_BATCH_SIZE", compose["services"]["worker"]["environment"]["RUSTOK_INDEX_BATCH_SIZE"])
    assert Settings.from_env().index_batch_size == 100


def test_api_port_published(compose):
    assert "8000:8000" in compose["services"]["api"]["ports"]
    cmd = _command(compose["services"]["api"])
    assert cmd[cmd.index("--port") + 1] == "8000"
