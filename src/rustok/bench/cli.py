"""`rustok bench`: generate data and run the benchmark scenarios of issue 11 (see bench/README.md)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from rustok.config import Settings
from rustok.errors import RustokError

DEFAULT_SECONDS = {"smoke": 1.0, "default": 10.0, "large": 10.0}
DEFAULT_ROUNDS = {"smoke": 1, "default": 3, "large": 3}


def register(sub: argparse._SubParsersAction) -> None:
    from rustok.bench import SCENARIO_NAMES as SCENARIOS
    from rustok.bench.generate import SIZES

    p = sub.add_parser("bench", help="generate data and run the benchmark scenarios (throwaway embedded PostgreSQL "
                                     "unless --url); results in bench/results")
    p.add_argument("--size", choices=list(SIZES), default="default",
                   help="smoke: a few hundred rows, seconds; default: 100k products, 200k content nodes, 1M orders; "
                        "large: 10x default")
    p.add_argument("--scenario", action="append", dest="scenarios", choices=list(SCENARIOS), metavar="NAME",
                   help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)} (default: all)")
    p.add_argument("--rounds", type=int, help="interleaved rounds per scenario (default 3; smoke 1)")
    p.add_argument("--seconds", type=float, help="length of one measured run (default 10; smoke 1)")
    p.add_argument("--orders", type=int, help="generate this many orders instead of the size's count")
    p.add_argument("--products", type=int, help="generate (and import) this many products instead of the size's count "
                                                "(chunks of 5,000 from 5,000 up), e.g. --size smoke --products 20000")
    p.add_argument("--out", type=Path, default=Path("bench/results"), help="where the JSON and PNG files go")
    p.add_argument("--url", help="the migration owner's URL of a dedicated database to use instead of a throwaway "
                                 "cluster (it is migrated; scenarios disable triggers and write data)")
    p.add_argument("--admin-url", help="with --url: a superuser URL of the same database, for the "
                                       "session_replication_role references and checkpoints (without it the "
                                       "event triggers are disabled for the references)")
    p.add_argument("--keep", action="store_true", help="keep the throwaway cluster's directory (printed)")
    p.set_defaults(func=cmd_bench)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:  # before any work: the charts come at the end
        raise RustokError("rustok bench draws its charts with matplotlib: pip install -e '.[bench]'")
    import psycopg

    from rustok import migrate
    from rustok.bench import generate, report
    from rustok.bench.runner import Bench
    from rustok.bench.scenarios import SCENARIOS
    from rustok.embedded import EmbeddedCluster, free_port

    import logging

    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    size = generate.size_named(args.size, args.orders, args.products)
    rounds = args.rounds or DEFAULT_ROUNDS[args.size]
    seconds = args.seconds or DEFAULT_SECONDS[args.size]
    if rounds < 1 or seconds <= 0:
        raise RustokError("--rounds must be at least 1 and --seconds more than 0")
    wanted = [name for name in SCENARIOS if not args.scenarios or name in args.scenarios]
    tmp = Path(tempfile.mkdtemp(prefix="rustok-bench-"))
    cluster = None
    try:
        if args.url:
            url, admin = args.url, args.admin_url
        else:
            cluster = EmbeddedCluster(tmp / "cluster", free_port())
            cluster.init()
            with (cluster.pgdata / "postgresql.conf").open("a") as fh:
                fh.write("# rustok bench: the lag scenario reads commit times\ntrack_commit_timestamp = on\n")
            cluster.start()
            url, admin = cluster.url(), cluster.url("postgres")
            _say(f"throwaway PostgreSQL at {url} (data in {cluster.data_dir})")
        started = time.monotonic()
        migrate.apply(url)
        _say(f"migrated in {time.monotonic() - started:.1f} s")
        with psycopg.connect(url, autocommit=True) as conn:
            existing = conn.execute("select t.id, (select count(*) from commerce.products p where p.tenant_id = t.id) "
                                    "from core.tenants t where t.slug = 'bench'").fetchone()
            if existing and existing[1]:
                load = None
                tenant = existing[0]
                generate.setup(conn)
                _say(f"tenant bench already has {existing[1]:,} products: not generating (no import figure)")
            else:
                load = generate.generate(conn, size, progress=sys.stderr)
                tenant = load.tenant_id
                p = load.phases["products"]
                _say(f"loaded in {load.seconds:.0f} s: {p.rate:,.0f} products/s through the write model; "
                     + ", ".join(f"{ph.name} {ph.rate:,.0f} rows/s" for ph in load.phases.values() if ph.name != "products")
                     + f"; {load.events:,} events, {load.queued:,} queued for the index")
        bench = Bench(url=url, admin_url=admin, tenant_id=tenant, size=size, rounds=rounds, seconds=seconds,
                      out=args.out, work=tmp, load=load, say=_say)
        failures, lines = [], []
        for name in wanted:
            if name == "import" and load is None:
                _say("import: skipped (no data generated in this run)")
                continue
            _say(f"== {name}")
            t0 = time.monotonic()
            try:
                result = SCENARIOS[name](bench)
                json_path, png_path = report.write(bench, result)
            except Exception as exc:  # noqa: BLE001 - one failed scenario must not hide the others
                failures.append(name)
                _say(f"{name}: FAILED: {exc}")
                _say(traceback.format_exc(limit=8))
                continue
            lines.append(result.line())
            print(result.line(), flush=True)
            _say(f"   -> {json_path}, {png_path} ({time.monotonic() - t0:.0f} s)")
        print("\nrustok bench summary (" + f"{size.name}, {rounds} round(s) x {seconds:g} s):", flush=True)
        for line in lines:
            print("  " + line)
        if failures:
            raise RustokError(f"scenario(s) failed: {', '.join(failures)}")
        return 0
    finally:
        if cluster is not None:
            cluster.stop()
        if args.keep and cluster is not None:
            _say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
