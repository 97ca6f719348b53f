"""Speed of the store on SQLite and on PostgreSQL.

For each back-end, prints:

1. saves per second by one writer: new versions of the Syria example (16 actors × 9 issues, about
   20 kB of YAML) saved one after another, each a whole ``Store.save`` (scenario checked, YAML
   written, one transaction committed to disk); how much of a save is the YAML alone; and the
   same with a 2-actor, 1-issue scenario, where the commit is nearly all of it;
2. saves per second by 8 writers at once, each with a Store of its own and a scenario of its own
   (as 8 servers or processes would);
3. the time to list 1,000 scenarios (``Store.list_scenarios``, which the library page shows): the
   median of 7 calls on a store holding 1,000 scenarios of 2 versions each.

SQLite is a file in a temporary folder (write-ahead log, synchronous=FULL: every commit reaches
the disk). PostgreSQL is the server at ``$ACCORD_BENCH_PG_URL`` (a URL whose user may create a
database), else a throw-away cluster started here with its default, durable settings (fsync on;
the test suite's server turns fsync off, so it is not used here). The machine's load is printed:
on a shared machine the figures move with it.

    .venv/bin/python benchmarks/store.py
    .venv/bin/python benchmarks/store.py --saves 100 --scenarios 300     # quicker
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from accord.io import read_scenario, yaml_format
from accord.scenario import from_arrays
from accord.store import Store

ROOT = Path(__file__).resolve().parents[1]
SYRIA = ROOT / "examples" / "syria-issg-2015.yaml"
sys.path.insert(0, str(ROOT / "tests"))


def saves_one_writer(url: str, n: int, small: bool = False) -> tuple[float, float]:
    """(saves per second, milliseconds of YAML per save)."""
    syria = read_scenario(SYRIA)
    if small:
        syria = from_arrays([1, 2], [[0], [100]], [[1], [0.5]], title="small")
    store = Store(url)
    sid = store.create_scenario(syria).scenario_id
    variants = [syria.replace(title=f"Syria {k}") for k in range(n)]
    start = time.perf_counter()
    for k, s in enumerate(variants):
        store.save(sid, s, parent=k + 1)
    seconds = time.perf_counter() - start
    store.close()
    start = time.perf_counter()
    for s in variants[:50]:
        yaml_format.dumps(s.validated())
    yaml_ms = (time.perf_counter() - start) / min(n, 50) * 1e3
    return n / seconds, yaml_ms


def saves_many_writers(url: str, writers: int, each: int) -> float:
    syria = read_scenario(SYRIA)
    stores = [Store(url) for _ in range(writers)]
    ids = [s.create_scenario(syria).scenario_id for s in stores]
    barrier = threading.Barrier(writers + 1)

    def work(i):
        barrier.wait()
        for k in range(each):
            stores[i].save(ids[i], syria.replace(title=f"w{i} {k}"), parent=k + 1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    for s in stores:
        s.close()
    return writers * each / seconds


def list_time(url: str, n: int) -> float:
    """Median seconds of list_scenarios() on a store of ``n`` scenarios (2 versions each)."""
    syria = read_scenario(SYRIA)
    store = Store(url)
    for k in range(n):
        v = store.create_scenario(syria.replace(title=f"Syria {k}"))
        store.save(v.scenario_id, syria.replace(title=f"Syria {k} b"), parent=1)
    assert len(store.list_scenarios()) >= n
    times = []
    for _ in range(7):
        start = time.perf_counter()
        store.list_scenarios()
        times.append(time.perf_counter() - start)
    store.close()
    return statistics.median(times)


def postgres_url(folder: str) -> tuple[str | None, str]:
    """A URL of an empty database for the benchmark, and where it comes from."""
    given = os.environ.get("ACCORD_BENCH_PG_URL", "").strip()
    if given:
        return given, "$ACCORD_BENCH_PG_URL"
    import pg_server

    try:
        server = pg_server.start(folder, fast=False)
    except (RuntimeError, OSError) as exc:
        return None, str(exc)
    return server.url, f"a throw-away PostgreSQL server in {folder} (fsync on)"


def fresh_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=300, help="saves by the single writer")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--each", type=int, default=40, help="saves by each of the concurrent writers")
    parser.add_argument("--scenarios", type=int, default=1000, help="scenarios in the store that is listed")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    tmp = tempfile.mkdtemp(prefix="accord-bench-")
    pg_folder = tempfile.mkdtemp(prefix="accord-bench-pg-")
    admin, origin = postgres_url(pg_folder)
    print(f"PostgreSQL: {origin}" if admin else f"PostgreSQL skipped: {origin}")
    results: dict[str, dict[str, float]] = {}
    try:
        for backend in ("sqlite", "postgresql"):
            if backend == "postgresql" and not admin:
                continue

            def url(name: str, backend=backend) -> str:
                if backend == "sqlite":
                    return str(Path(tmp) / f"{name}.db")
                return fresh_database(admin, f"accord_bench_{name}")

            rate, yaml_ms = saves_one_writer(url("one"), args.saves)
            small, _ = saves_one_writer(url("small"), args.saves, small=True)
            many = saves_many_writers(url("many"), args.writers, args.each)
            listing = list_time(url("list"), args.scenarios)
            results[backend] = {"one": rate, "small": small, "many": many, "list": listing}
            print(f"{backend}: one writer {rate:6.1f} saves/s ({1e3 / rate:5.1f} ms a save, of which YAML "
                  f"{yaml_ms:4.1f} ms); 2-actor scenario {small:6.1f} saves/s ({1e3 / small:5.1f} ms); "
                  f"{args.writers} writers {many:6.1f} saves/s; list {args.scenarios} scenarios "
                  f"{listing * 1e3:6.1f} ms")
    finally:
        if not os.environ.get("ACCORD_BENCH_PG_URL"):
            import pg_server

            pg_server.stop(pg_folder)
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    if len(results) == 2:
        s, p = results["sqlite"], results["postgresql"]
        print(f"PostgreSQL / SQLite: one writer {p['one'] / s['one']:.2f}x, 2-actor {p['small'] / s['small']:.2f}x, "
              f"{args.writers} writers "
              f"{p['many'] / s['many']:.2f}x, listing takes {p['list'] / s['list']:.2f}x as long")
    return 0


if __name__ == "__main__":
    sys.exit(main())
