"""Our API's 20-row products page under wrk with different pool sizes, interleaved (read side, issue 13 item 4).

    .venv/bin/python bench/pool_ab.py --url OWNER_URL [--sizes 4,10,16] [--rounds 4] [--seconds 6] [--connections 16]

Per round and pool size (the order rotates each round): `rustok serve` (one process, compiled reads, as the `read`
scenario starts it) with RUSTOK_DB_POOL_SIZE set ("default": unset, the derived default), a warm-up, then
`wrk -t2 -c<connections>` POSTing the `read` scenario's page query (tenant `bench`) for --seconds. Prints each
size's requests/s, p50/p99 (ms) and the API process's CPU time per request (from /proc), per round and the median,
with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rustok.bench.scenarios.read import OURS, Target, _wait_http, _wrk
from rustok.embedded import free_port


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the migration owner's URL of the bench database")
    ap.add_argument("--sizes", default="4,10,16", help="pool sizes, comma separated ('default': the derived one)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    sizes = args.sizes.split(",")
    import rustok.bench.scenarios.read as read
    read.CONNECTIONS = args.connections
    results: dict[str, list[dict]] = {s: [] for s in sizes}
    load0 = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory() as work:
        for r in range(args.rounds):
            order = sizes[r % len(sizes):] + sizes[:r % len(sizes)]
            for size in order:
                env = dict(os.environ, DATABASE_URL=args.url, RUSTOK_COMPILED_READS="on")
                env.pop("RUSTOK_DB_POOL_SIZE", None)
                if size != "default":
                    env["RUSTOK_DB_POOL_SIZE"] = size
                port = free_port()
                proc = subprocess.Popen([sys.executable, "-m", "rustok.cli", "serve", "--port", str(port)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    _wait_http(port, proc, "/healthz")
                    target = Target("ours", port, "/graphql", {"X-Tenant": "bench"}, OURS)
                    for _ in range(20):
                        target.check("page")
                    _wrk(target, "page", 2, Path(work))   # warm: every pooled connection prepared
                    c0 = cpu_s(proc.pid)
                    out = _wrk(target, "page", args.seconds, Path(work))
                    used = cpu_s(proc.pid) - c0
                    out["cpu_us_per_request"] = used * 1e6 / max(1, out["rps"] * round(args.seconds))
                    results[size].append(out)
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
    load1 = os.getloadavg()
    print(f"# the read scenario's page, wrk -t2 -c{args.connections}, {args.rounds} rounds x {args.seconds:.0f} s, "
          f"{started}, load average {load0[0]:.2f} -> {load1[0]:.2f}")
    print("| pool size | req/s (median) | rounds | p50 ms | p99 ms | API CPU µs/request | non-2xx |")
    print("|---|---|---|---|---|---|---|")
    for size, runs in results.items():
        med = lambda k: statistics.median(x[k] for x in runs)   # noqa: E731
        rounds = " / ".join(f"{x['rps']:.0f}" for x in runs)
        print(f"| {size} | {med('rps'):.0f} | {rounds} | {med('p50_ms'):.2f} | "
              f"{med('p99_ms'):.2f} | {med('cpu_us_per_request'):.0f} | {sum(x['non_2xx'] for x in runs)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
