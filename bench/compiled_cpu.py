"""Backend CPU time per compiled GraphQL statement, two or more compilers interleaved (read side, issue 13).

    .venv/bin/python bench/compiled_cpu.py --url OWNER_URL [--calls 200] [--blocks 6] [--case page] \
        [--compiler main=/work/main/src/rustok/graphql/compiled.py] [--compiler branch=src/rustok/graphql/compiled.py]

Each compiler (a copy of rustok/graphql/compiled.py, loaded from its file, so an older one can run beside the
checked-out code) compiles the `read` scenario's query (rustok.bench.scenarios.read.OURS, tenant `bench`); each
statement runs on its own autocommit connection as rustok_app (the API's role; psycopg prepares it after 5 runs as
the API's pool does), in blocks of --calls statements, the compilers alternating block by block (which goes first
alternates too). Per block: the backend's CPU time (user + system from /proc/<backend pid>/stat; the server must
run on this machine) divided by the statements, which moves much less with the load of a shared machine than wall
time. Prints each compiler's per-block figures (µs per statement), their median, and whether every compiler's
answer was the same text.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time

import psycopg
from graphql import parse

from rustok.bench.scenarios.read import OURS
from rustok.graphql import build_schema
from rustok.graphql.limits import Limits


def cpu_us(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e6 / os.sysconf("SC_CLK_TCK")


def load_compiler(name: str, path: str):
    spec = importlib.util.spec_from_file_location(f"_compiled_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the migration owner's URL of the bench database")
    ap.add_argument("--calls", type=int, default=200, help="statements per block")
    ap.add_argument("--blocks", type=int, default=6, help="blocks per compiler")
    ap.add_argument("--case", default="page", choices=sorted(OURS), help="the read scenario's query")
    ap.add_argument("--query", help="a GraphQL query instead of --case")
    ap.add_argument("--compiler", action="append", default=[],
                    help="NAME=PATH of a compiled.py (default: this checkout's)")
    args = ap.parse_args()
    compilers = [c.split("=", 1) for c in args.compiler] or [["here", "src/rustok/graphql/compiled.py"]]
    schema = build_schema()
    text = args.query or OURS[args.case]
    runs = []
    for name, path in compilers:
        module = load_compiler(name, path)
        plan = module.CompiledReads(schema, Limits()).plan(parse(text), None)
        if plan is None:
            print(f"{name}: not compiled", file=sys.stderr)
            return 1
        params = plan.parameters(schema, {}, "bench")
        conn = psycopg.connect(args.url, autocommit=True, options="-c role=rustok_app")
        runs.append({"name": name, "sql": plan.sql, "params": params, "conn": conn,
                     "pid": conn.info.backend_pid, "blocks": [], "answer": None})
    for r in runs:   # warm-up: caches, and past psycopg's prepare threshold
        for _ in range(10):
            r["answer"] = r["conn"].execute(r["sql"], r["params"]).fetchone()[0]
    load = os.getloadavg()
    t_start = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for b in range(args.blocks):
        order = runs if b % 2 == 0 else runs[::-1]
        for r in order:
            conn, sql, params = r["conn"], r["sql"], r["params"]
            c0 = cpu_us(r["pid"])
            for _ in range(args.calls):
                conn.execute(sql, params).fetchone()
            r["blocks"].append((cpu_us(r["pid"]) - c0) / args.calls)
    same = len({r["answer"] for r in runs}) == 1
    print(f"# {args.query and 'query' or args.case}: backend CPU per statement (µs), {args.blocks} blocks x "
          f"{args.calls} statements, as rustok_app; {t_start}, load average {load[0]:.2f} -> {os.getloadavg()[0]:.2f}; "
          f"answers {'identical' if same else 'DIFFER'} ({len(runs[0]['answer'])} bytes)")
    for r in runs:
        print(f"{r['name']:>10}: median {statistics.median(r['blocks']):6.0f}  blocks "
              + " ".join(f"{x:.0f}" for x in r["blocks"]))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
