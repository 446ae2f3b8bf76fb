"""Runs every benchmark: ``make bench`` or ``.venv/bin/python -m tests.benchmarks.run``.

1. Takes ``var/bench/run.lock`` (a second run in the same checkout waits for the first: both would use the same
   bench database and folders).
2. Prepares the bench database (SQLite: a fresh ``var/bench/bench.sqlite3``; with a PostgreSQL ``DATABASE_URL``: a
   fresh ``tracker_bench`` database on that server, dropped again at the end unless ``BENCH_KEEP_DB=1``) and migrates.
3. Applies ``ctx.env`` to this process and sets Django up, so benches may seed the bench database with the ORM.
4. Measures the baselines B-PG and B-NOOP (``harness`` module docstring), unless ``BENCH_SKIP_BASELINES=1``.
5. Imports every ``tests/benchmarks/bench_*.py`` in sorted order and calls its ``run(ctx)``, each on a fresh copy
   of the migrated database with empty cache and broker folders (``ctx.reset()``). A bench that raises is
   reported as FAILED and the others go on. ``BENCH_ONLY=status,complaints`` selects modules (``bench_`` optional).
6. Measures B-NOOP once more ("B-NOOP at the end"): if it moved much, something else loaded the machine meanwhile
   and the ratios are less trustworthy. The load averages at start and end are in ``results.json`` too.
7. Prints the table (name, value, unit, baseline, ratio, goal) and writes ``var/bench/results.json``.

Exit status: 0 when every bench ran, 1 when one failed, 2 when the database could not be prepared.
Other variables: ``BENCH_DURATION`` (seconds per load run, default 10), ``BENCH_BASELINE_SECONDS`` (5),
``BENCH_LOADGEN=python`` (force the Python load generator), ``BENCH_GUNICORN_ARGS``, ``BENCH_GUNICORN_COMPARE=1``.
"""

import contextlib
import datetime
import fcntl
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from tests.benchmarks.harness import BENCH_DIR, Context, Row

HERE = Path(__file__).resolve().parent
LOCK_WAIT_SECONDS = 3600


def selected_modules(only: str) -> list[str]:
    names = sorted(path.stem for path in HERE.glob("bench_*.py"))
    wanted = {name.strip().removeprefix("bench_") for name in only.split(",") if name.strip()}
    if not wanted:
        return names
    unknown = wanted - {name.removeprefix("bench_") for name in names}
    if unknown:
        raise SystemExit(f"BENCH_ONLY names no such benchmark: {', '.join(sorted(unknown))} (have: {', '.join(names)})")
    return [name for name in names if name.removeprefix("bench_") in wanted]


@contextlib.contextmanager
def exclusive_run():
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with open(BENCH_DIR / "run.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            print(f"Another benchmark run holds {lock.name} ({lock.read().strip()}); waiting for it to finish...")
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SystemExit("Gave up waiting for the other benchmark run.") from None
                    time.sleep(2)
        lock.truncate(0)
        lock.write(f"pid {os.getpid()} since {datetime.datetime.now(datetime.UTC):%H:%M:%S} UTC\n")
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def setup_django(ctx: Context) -> None:
    os.environ.update(ctx.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    import django

    django.setup()


def run_benches(ctx: Context, modules: list[str]) -> list[str]:
    failed = []
    for name in modules:
        short = name.removeprefix("bench_")
        ctx.current_bench = short
        print(f"== {short}")
        bench_started = time.monotonic()
        try:
            ctx.reset()
            module = importlib.import_module(f"tests.benchmarks.{name}")
            module.run(ctx)
        except Exception as exc:
            traceback.print_exc()
            failed.append(short)
            first_line = (str(exc).strip().splitlines() or [""])[0]
            ctx.rows.append(Row(short, f"{type(exc).__name__}: {first_line[:80]}", None, "", failed=True))
        finally:
            from django.db import connections

            connections.close_all()
        print(f"   ({short} took {time.monotonic() - bench_started:.0f} s)")
    return failed


def main() -> int:
    modules = selected_modules(os.environ.get("BENCH_ONLY", ""))
    started = time.monotonic()
    started_at = datetime.datetime.now(datetime.UTC)
    ctx = Context()
    ctx.info["load_average_start"] = os.getloadavg()
    print(f"Benchmarks on {'PostgreSQL' if ctx.is_postgres else 'SQLite'}; load generator: {ctx.loadgen}")
    try:
        ctx.prepare_database()
        setup_django(ctx)
    except Exception:
        traceback.print_exc()
        print("Could not prepare the bench database; nothing was measured.", file=sys.stderr)
        return 2

    failed = []
    try:
        if os.environ.get("BENCH_SKIP_BASELINES", "") in {"1", "true"}:
            print("Baselines skipped (BENCH_SKIP_BASELINES): no ratios in this run.")
        else:
            print("== baselines")
            ctx.measure_baselines()
            failed.extend(row.name for row in ctx.rows if row.failed)
        failed.extend(run_benches(ctx, modules))
        if modules and "B-NOOP" in ctx.baselines:
            ctx.current_bench = "baselines"
            ctx.measure_noop_again()
            failed.extend(row.name for row in ctx.rows if row.failed and row.name == "B-NOOP at the end")
    finally:
        ctx.current_bench = "harness"
        ctx.drop_database()
    ctx.info["load_average_end"] = os.getloadavg()

    print()
    print(ctx.table())
    results = ctx.results() | {
        "started_at": started_at.isoformat(),
        "duration_s": round(time.monotonic() - started, 1),
        "benches": modules,
        "failed": failed,
    }
    out = BENCH_DIR / "results.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nResults in {out.relative_to(HERE.parents[1])} ({results['duration_s']:.0f} s).")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    with exclusive_run():
        status = main()
    sys.exit(status)
