"""What every benchmark gets: a prepared database, a production server, a load generator and a results table.

``make bench`` (``python -m tests.benchmarks.run``) builds one :class:`Context` and passes it to ``run(ctx)`` of each
``tests/benchmarks/bench_*.py``::

    def run(ctx):
        with ctx.server() as base_url:
            result = ctx.http_load(url=f"{base_url}/status/", concurrency=16, duration=10)
        ctx.record("status page", result.rps, "req/s", baseline="B-NOOP", goal=">= 0.5")

The context
-----------
``ctx.env``
    Environment for subprocesses: ``TRACKER_ENV=production``, a generated ``SECRET_KEY``,
    ``ALLOWED_HOSTS=127.0.0.1,localhost``, ``SECURE_SSL_REDIRECT=false`` (plain HTTP), ``BENCH_NOOP_VIEW=true``,
    ``DATABASE_URL`` of the bench database, the caller's ``CELERY_BROKER_URL`` / ``CACHE_URL`` / ``EMAIL_URL`` when set
    (a broker or cache server is purged before each bench: give it a Redis database of its own);
    otherwise the file-system broker in ``var/bench/broker`` (never the developer's queue), a file cache under
    ``var/bench/cache`` and e-mail written under ``var/bench/mail``, all emptied at the start of a run; uploads go to
    ``var/bench/media``. The runner also applies it to its own process before ``django.setup()``, so a bench may use
    the ORM to seed the bench database.
``ctx.database_url``, ``ctx.is_postgres``
    The bench database: with SQLite a fresh ``var/bench/bench.sqlite3`` (the dev database is untouched); with
    PostgreSQL a fresh ``tracker_bench`` database on the server of the caller's ``DATABASE_URL`` (dropped first, so
    benches never touch real data; ``BENCH_PG_DATABASE`` names another one, and an advisory lock on the server makes
    runs from other checkouts that use the same name wait). Migrated once; the migrated database is kept as a template
    (``bench-template.sqlite3`` / ``tracker_bench_template``) and ``ctx.reset()``, which the runner calls before
    each bench, copies it back and empties the cache, broker and upload folders: every bench starts from the same
    empty, migrated database and seeds what it needs.
``ctx.server(extra_env=None, workers=None)``
    Context manager: ``collectstatic`` once, then gunicorn ``tracker.wsgi`` with the production configuration below
    on a free 127.0.0.1 port; yields the base URL once the server answers, stops it afterwards.
``ctx.http_load(url=..., method="GET", body=None, headers=None, concurrency=16, duration=10, make_request=None)``
    Closed-loop load with keep-alive connections; returns a :class:`LoadResult` (rps, p50_ms, p95_ms, p99_ms,
    errors, status_counts, client_cpu_percent, ...; ``result.summary()`` is one line of them). ``duration`` is in
    seconds, 10 by default; ``BENCH_DURATION`` overrides it for every load run (shorter runs while developing).
    Against the server that ``ctx.server`` runs, ``server_cpu_ms`` is that server's CPU time (all its processes,
    read from /proc) per answered request.
    ``make_request`` varies the requests: a sequence of ``(method, path, headers, body)`` tuples, or a callable
    ``make_request(i)`` returning one, called ``prebuild`` times (default 10,000) before the load starts.
    Connections take the requests in turn; the list wraps around when exhausted, so give at least
    ``rps x duration`` requests when each must be unique.
``ctx.baselines``
    ``{"B-PG": ..., "B-NOOP": ...}`` measured first in the same run (see below).
``ctx.manage(*args)``
    Runs ``manage.py`` with ``ctx.env``; raises on a non-zero exit; returns the CompletedProcess (text output).
``ctx.record(name, value, unit, baseline=None, goal=None, note=None)``
    One row of the results table. ``baseline`` is a number or the name of a baseline ("B-PG", "B-NOOP"); the table
    then shows value / baseline as a ratio. ``goal`` is free text or a number, shown as given.
``ctx.size(name, default)``
    An integer read from the environment, e.g. ``ctx.size("BENCH_COMPLAINTS", 20_000)``: small defaults keep
    ``make bench`` to a few minutes; the variable scales a bench up.

Baselines
---------
B-PG
    Single-row ``INSERT`` commits per second through psycopg, 8 processes each with its own autocommit connection,
    started together once all are connected, for ``BENCH_BASELINE_SECONDS`` (5) seconds, into an ordinary (logged)
    table; ``fsync`` and ``synchronous_commit`` are
    read with ``SHOW`` and written in the note. On SQLite the same through ``sqlite3`` on the bench file with the
    application's pragmas (WAL, ``synchronous=NORMAL``); the note says so.
B-NOOP
    Requests per second of ``/bench/noop`` (``tracker/bench_views.py``: full middleware stack, no database, no
    session) under the same gunicorn configuration and load generator, 16 connections.

Server configuration
--------------------
``gunicorn tracker.wsgi -k gthread -w <2 x cores> --threads 4 --keep-alive 30 --backlog 2048``, no access log.
Why: B-NOOP on the 2-core build machine, wrk, 16 connections, two 4-second runs each (the quietest we had; the
machine was shared with other test runs, so take them as +-25 %): sync ``-w 4`` 2,372 and 2,513 req/s; gthread
``-w 4 --threads 4`` 1,811 and 1,775; gthread ``-w 4 --threads 1`` 1,223 and 2,446. The sync worker has no
keep-alive (one TCP handshake per request, cheap on loopback) and was ahead on the no-op page, but a sync worker
blocks for the whole of every database wait, and the real pages wait on PostgreSQL; with 4 threads a worker
overlaps those waits and keeps connections open, as the Procfile's gthread server does. So gthread, and the
benches measure what production runs. ``BENCH_GUNICORN_COMPARE=1`` reruns the comparison (figures in
``var/bench/results.json`` under ``info.gunicorn_comparison``); ``BENCH_GUNICORN_ARGS`` replaces every argument
after ``tracker.wsgi``.

Load generator
--------------
``wrk`` (Debian package ``wrk``) with one thread, so that it leaves the CPU to the server on a small machine; a Lua
script counts status codes and prints latency percentiles as JSON. Without wrk (or with ``BENCH_LOADGEN=python``)
a Python asyncio raw-socket HTTP/1.1 keep-alive client runs in a separate process (``python -m
tests.benchmarks.harness loadgen SPEC``). Either way ``client_cpu_percent`` is the generator's own CPU time (user +
system, from ``wait4``) over wall time, in percent of one core. ``errors`` counts socket errors, timeouts and 5xx
responses; 4xx responses are not errors (a bench may expect them) but appear in ``status_counts``. At the deadline
wrk drops the requests still in flight (at most one per connection) from its counts, although the server may have
handled them: count rows in the database, not responses, when a bench needs the exact number of writes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from http.client import HTTPConnection
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = BASE_DIR / "var" / "bench"
PYTHON = sys.executable
PG_BENCH_DB = os.environ.get("BENCH_PG_DATABASE", "").strip() or "tracker_bench"
PG_BENCH_TEMPLATE = f"{PG_BENCH_DB}_template"
CPU_COUNT = os.cpu_count() or 1
DEFAULT_PREBUILD = 10_000

Request = tuple[str, str, dict[str, str] | Sequence[tuple[str, str]] | None, bytes | str | None]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, not {raw!r}") from None


def gunicorn_args(workers: int | None = None) -> list[str]:
    """Arguments after ``gunicorn`` (module docstring: why gthread)."""
    custom = os.environ.get("BENCH_GUNICORN_ARGS", "").split()
    if custom:
        return ["tracker.wsgi", *custom]
    return [
        "tracker.wsgi",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers or 2 * CPU_COUNT),
        "--threads",
        "4",
        "--keep-alive",
        "30",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    status_counts: dict[str, int]
    client_cpu_percent: float
    requests: int = 0
    duration_s: float = 0.0
    mean_ms: float = 0.0
    max_ms: float = 0.0
    socket_errors: dict[str, int] = field(default_factory=dict)
    concurrency: int = 0
    generator: str = ""
    # The server's CPU time (all its processes, user + system) over the run, per answered request: steadier than
    # requests per second on a shared machine, since it does not count what other programs take.
    server_cpu_ms: float | None = None

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(self.status_counts.items()))
        return (
            f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"{self.errors} errors, statuses {{{statuses}}}, {self.concurrency} connections, "
            f"client CPU {self.client_cpu_percent:.0f}% ({self.generator})"
            + (f", server CPU {self.server_cpu_ms:.1f} ms/request" if self.server_cpu_ms is not None else "")
        )


@dataclass
class Row:
    bench: str
    name: str
    value: float | None
    unit: str
    baseline_name: str | None = None
    baseline: float | None = None
    ratio: float | None = None
    goal: object = None
    note: str | None = None
    failed: bool = False


class Context:
    def __init__(self, *, caller_env: dict[str, str] | None = None):
        caller = dict(os.environ if caller_env is None else caller_env)
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        self.rows: list[Row] = []
        self.baselines: dict[str, float] = {}
        self.info: dict[str, object] = {"cpu_count": CPU_COUNT}
        self.current_bench = "harness"
        self._collected_static = False
        self._server_count = 0
        self._server: tuple[int, int] | None = None  # (port, pid) of the server running now

        self.is_postgres = caller.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://"))
        if caller.get("DATABASE_URL") and not self.is_postgres:
            # Any other URL (a SQLite file elsewhere): benches still use their own SQLite file.
            print(f"DATABASE_URL is not PostgreSQL; benchmarking on SQLite under {BENCH_DIR}")
        if self.is_postgres:
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", PG_BENCH_DB) or "bench" not in PG_BENCH_DB:
                # The run drops this database: a name without "bench" could be real data.
                raise SystemExit(f"BENCH_PG_DATABASE must be a lower-case name containing 'bench', not {PG_BENCH_DB!r}")
            self.admin_url = caller["DATABASE_URL"]
            self.database_url = _with_database(self.admin_url, PG_BENCH_DB)
        else:
            self.admin_url = None
            self.sqlite_path = BENCH_DIR / "bench.sqlite3"
            self.sqlite_template = BENCH_DIR / "bench-template.sqlite3"
            self.database_url = f"sqlite:///{self.sqlite_path}"

        self.env = {
            key: value
            for key, value in caller.items()
            if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "DATABASE_URL", "SECURE_SSL_REDIRECT"}
        }
        self.env.update(
            {
                "TRACKER_ENV": "production",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false",
                "SECURE_HSTS_SECONDS": "0",
                "DEBUG": "false",
                "DATABASE_URL": self.database_url,
                "BENCH_NOOP_VIEW": "true",
                "SITE_URL": "http://127.0.0.1",
                "LOG_LEVEL": caller.get("LOG_LEVEL", "WARNING"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # Embedded parts get their own folders under var/bench, emptied by prepare_database(): a bench never
        # queues tasks for the developer's worker nor reads a page cached by an earlier run.
        self.scratch_dirs = [BENCH_DIR / "media"]
        self.env["MEDIA_ROOT"] = str(BENCH_DIR / "media")
        if not caller.get("CACHE_URL"):
            self.env["CACHE_URL"] = f"filecache://{BENCH_DIR / 'cache'}"
            self.scratch_dirs.append(BENCH_DIR / "cache")
        if not caller.get("EMAIL_URL"):
            self.env["EMAIL_URL"] = f"filemail:///{BENCH_DIR / 'mail'}"
            self.scratch_dirs.append(BENCH_DIR / "mail")
        if caller.get("CELERY_BROKER_URL", "filesystem://").startswith("filesystem://"):
            self.env["CELERY_BROKER_URL"] = "filesystem://"
            self.env["CELERY_BROKER_DIR"] = str(BENCH_DIR / "broker")
            self.scratch_dirs.append(BENCH_DIR / "broker")
        self.loadgen = "wrk" if shutil.which("wrk") and caller.get("BENCH_LOADGEN", "wrk") != "python" else "python"

    # --- helpers for benches ------------------------------------------------------------------------------------
    def size(self, name: str, default: int) -> int:
        return _env_int(name, default)

    def manage(self, *args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
        completed = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and completed.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} exited with {completed.returncode}:\n"
                f"{completed.stdout[-2000:]}{completed.stderr[-4000:]}"
            )
        return completed

    def record(self, name, value, unit, baseline=None, goal=None, note=None) -> Row:
        baseline_name = None
        if isinstance(baseline, str):
            baseline_name = baseline
            baseline = self.baselines.get(baseline)
        ratio = None
        if baseline not in (None, 0) and value is not None:
            ratio = float(value) / float(baseline)
        row = Row(
            bench=self.current_bench,
            name=str(name),
            value=None if value is None else float(value),
            unit=str(unit),
            baseline_name=baseline_name,
            baseline=None if baseline is None else float(baseline),
            ratio=ratio,
            goal=goal,
            note=note,
        )
        self.rows.append(row)
        shown = "-" if row.value is None else _fmt(row.value)
        extra = f" ({row.ratio:.3f} of {baseline_name or 'baseline'})" if row.ratio is not None else ""
        print(f"  [{self.current_bench}] {row.name}: {shown} {row.unit}{extra}" + (f"  {note}" if note else ""))
        return row

    # --- database -----------------------------------------------------------------------------------------------
    def prepare_database(self) -> None:
        """A fresh, migrated bench database, kept as a template that reset() copies back before each bench."""
        if self.is_postgres:
            self._pg_lock_server()
            self._pg_admin(
                f'DROP DATABASE IF EXISTS "{PG_BENCH_TEMPLATE}" WITH (FORCE)',
                f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)',
                f'CREATE DATABASE "{PG_BENCH_DB}"',
            )
            print(f"Fresh PostgreSQL database {PG_BENCH_DB} on {_redact(self.database_url)}")
        else:
            self._sqlite_unlink(self.sqlite_path)
            print(f"Fresh SQLite database {self.sqlite_path}")
        self._empty_scratch_dirs()
        started = time.monotonic()
        self.manage("migrate", "--noinput")
        if self.is_postgres:
            self._pg_admin(f'CREATE DATABASE "{PG_BENCH_TEMPLATE}" TEMPLATE "{PG_BENCH_DB}"')
        else:
            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._sqlite_unlink(self.sqlite_template)
            shutil.copyfile(self.sqlite_path, self.sqlite_template)
        print(f"Migrated in {time.monotonic() - started:.1f} s")

    def reset(self) -> None:
        """Back to the freshly migrated database, with empty cache, broker and upload folders.

        The runner calls it before each bench, so that no bench sees another's rows, cached pages or queued tasks.
        """
        self._close_django_connections()
        if self.is_postgres:
            self._pg_admin(
                f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)',
                f'CREATE DATABASE "{PG_BENCH_DB}" TEMPLATE "{PG_BENCH_TEMPLATE}"',
            )
        else:
            self._sqlite_unlink(self.sqlite_path)
            shutil.copyfile(self.sqlite_template, self.sqlite_path)
        self._empty_scratch_dirs()
        self._empty_servers()

    def _empty_servers(self) -> None:
        """A broker or cache server of the caller's keeps what the previous bench left there: tasks queued by
        its web server (a later bench's worker would run them) and pages cached from a database now dropped.
        Give the benches Redis databases of their own: their queues are purged and their cache emptied."""
        if "django" not in sys.modules:
            return
        from django.conf import settings
        from django.core.cache import cache

        if not settings.configured:
            return
        cache.clear()
        if not self.env["CELERY_BROKER_URL"].startswith("filesystem://"):
            from tracker.celery import app

            app.control.purge()

    def drop_database(self) -> None:
        """Closes the runner's own connections and, on PostgreSQL, drops the bench databases."""
        self._close_django_connections()
        if self.is_postgres and os.environ.get("BENCH_KEEP_DB", "") not in {"1", "true"}:
            import psycopg

            with contextlib.suppress(psycopg.Error):
                self._pg_admin(
                    f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)',
                    f'DROP DATABASE IF EXISTS "{PG_BENCH_TEMPLATE}" WITH (FORCE)',
                )
        lock = getattr(self, "_pg_lock_connection", None)
        if lock is not None:
            with contextlib.suppress(Exception):
                lock.close()

    def _pg_lock_server(self) -> None:
        """Waits for any other run using the same bench database on this server, from any checkout.

        A session-level advisory lock on a connection kept open until the process ends (the server releases it
        when the connection goes, even if the run is killed).
        """
        import psycopg

        conn = psycopg.connect(_psycopg_conninfo(_with_database(self.admin_url, "postgres")), autocommit=True)
        key = f"tracker-bench:{PG_BENCH_DB}"
        told = False
        while not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()[0]:
            if not told:
                print(f"Another benchmark run uses database {PG_BENCH_DB} on this server; waiting for it...")
                told = True
            time.sleep(2)
        self._pg_lock_connection = conn

    def _pg_admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(_psycopg_conninfo(_with_database(self.admin_url, "postgres")), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    @staticmethod
    def _sqlite_unlink(path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def _empty_scratch_dirs(self) -> None:
        for folder in self.scratch_dirs:
            shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _close_django_connections() -> None:
        """Closes this process's connections, the PostgreSQL pool included (its database is about to go)."""
        if "django" not in sys.modules:
            return
        from django.conf import settings

        if not settings.configured:
            return
        from django.db import connections

        for conn in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):
                conn.close()
            close_pool = getattr(conn, "close_pool", None)
            if close_pool is not None:
                with contextlib.suppress(Exception):
                    close_pool()

    # --- server -------------------------------------------------------------------------------------------------
    def collectstatic(self) -> None:
        if not self._collected_static:
            self.manage("collectstatic", "--noinput")
            self._collected_static = True

    @contextlib.contextmanager
    def server(self, extra_env: dict[str, str] | None = None, workers: int | None = None) -> Iterator[str]:
        self.collectstatic()
        port = _free_port()
        # Web processes run with the statement timeout the README asks for in production.
        env = {**self.env, "DATABASE_STATEMENT_TIMEOUT": "30", **(extra_env or {})}
        self._server_count += 1
        log_path = BENCH_DIR / f"gunicorn-{self._server_count}.log"
        args = [str(Path(PYTHON).with_name("gunicorn")), *gunicorn_args(workers), "--bind", f"127.0.0.1:{port}"]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                args, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(process, port, log_path)
            self._server = (port, process.pid)
            yield base_url
        finally:
            self._server = None
            _stop(process)

    # --- load ---------------------------------------------------------------------------------------------------
    def http_load(
        self,
        url: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        concurrency: int = 16,
        duration: float | None = None,
        make_request: Sequence[Request] | Callable[[int], Request] | None = None,
        prebuild: int = DEFAULT_PREBUILD,
        timeout: float = 10.0,
    ) -> LoadResult:
        if duration is None or os.environ.get("BENCH_DURATION"):
            duration = float(os.environ.get("BENCH_DURATION") or 10)
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"http_load needs an http:// URL, not {url!r}")
        default_path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        if make_request is None:
            requests = [(method, default_path, headers, body)]
        elif callable(make_request):
            requests = [make_request(i) for i in range(prebuild)]
        else:
            requests = list(make_request)
        if not requests:
            raise ValueError("make_request gave no request")
        normalized = [_normalize_request(request, default_headers=headers) for request in requests]
        varying = make_request is not None or body is not None or method != "GET" or bool(headers)
        server_pid = self._server[1] if self._server and self._server[0] == parsed.port else None
        cpu_before = process_tree_cpu_seconds(server_pid) if server_pid else None
        if self.loadgen == "wrk":
            result = _wrk_load(parsed, normalized, varying, concurrency, duration, timeout)
        else:
            result = _python_load(parsed, normalized, concurrency, duration, timeout)
        result.concurrency = concurrency
        if cpu_before is not None and result.requests:
            used = process_tree_cpu_seconds(server_pid) - cpu_before
            result.server_cpu_ms = used * 1000 / result.requests
        return result

    # --- baselines ----------------------------------------------------------------------------------------------
    def measure_baselines(self) -> None:
        seconds = float(_env_int("BENCH_BASELINE_SECONDS", 5))
        self.current_bench = "baselines"
        try:
            if self.is_postgres:
                rate, note = _baseline_pg(self.database_url, seconds)
            else:
                rate, note = _baseline_sqlite(self.sqlite_path, seconds)
            self.baselines["B-PG"] = rate
            self.record("B-PG", rate, "commits/s", note=note)
        except Exception:
            traceback.print_exc()
            self.rows.append(Row("baselines", "B-PG", None, "commits/s", note="failed", failed=True))
        try:
            with self.server() as base_url:
                result = self.http_load(url=f"{base_url}/bench/noop", concurrency=16, duration=None)
            if result.errors or set(result.status_counts) != {"200"}:
                raise RuntimeError(f"B-NOOP answered with errors: {result.summary()}")
            self.baselines["B-NOOP"] = result.rps
            self.record(
                "B-NOOP",
                result.rps,
                "req/s",
                note=f"/bench/noop, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                f"{result.concurrency} conns, client CPU {result.client_cpu_percent:.0f}% ({result.generator})"
                + (f", server CPU {result.server_cpu_ms:.2f} ms/request" if result.server_cpu_ms is not None else ""),
            )
            self.info["b_noop"] = asdict(result)
        except Exception:
            traceback.print_exc()
            self.rows.append(Row("baselines", "B-NOOP", None, "req/s", note="failed", failed=True))
        if os.environ.get("BENCH_GUNICORN_COMPARE") in {"1", "true"}:
            self.info["gunicorn_comparison"] = self.compare_gunicorn_configs()

    def measure_noop_again(self) -> None:
        """B-NOOP after the benches, as a drift check; the ratios keep using the first measurement."""
        try:
            with self.server() as base_url:
                result = self.http_load(url=f"{base_url}/bench/noop", concurrency=16, duration=None)
            self.record(
                "B-NOOP at the end",
                result.rps,
                "req/s",
                baseline="B-NOOP",
                note="drift check: far from 1.0 means the machine was busy with something else during the run",
            )
        except Exception:
            traceback.print_exc()
            self.rows.append(Row("baselines", "B-NOOP at the end", None, "req/s", note="failed", failed=True))

    def compare_gunicorn_configs(self) -> dict[str, dict]:
        """B-NOOP under a few gunicorn configurations (module docstring)."""
        configs = {
            f"sync -w {2 * CPU_COUNT}": f"--workers {2 * CPU_COUNT} --log-level warning",
            f"gthread -w {2 * CPU_COUNT} --threads 4": f"--worker-class gthread --workers {2 * CPU_COUNT} "
            "--threads 4 --keep-alive 30 --log-level warning",
            f"gthread -w {CPU_COUNT} --threads 8": f"--worker-class gthread --workers {CPU_COUNT} --threads 8 "
            "--keep-alive 30 --log-level warning",
            f"gthread -w {2 * CPU_COUNT} --threads 1": f"--worker-class gthread --workers {2 * CPU_COUNT} "
            "--threads 1 --keep-alive 30 --log-level warning",
        }
        comparison = {}
        saved = os.environ.get("BENCH_GUNICORN_ARGS")
        try:
            for label, args in configs.items():
                os.environ["BENCH_GUNICORN_ARGS"] = args
                with self.server() as base_url:
                    result = self.http_load(url=f"{base_url}/bench/noop", concurrency=16, duration=None)
                comparison[label] = asdict(result)
                print(f"  gunicorn {label}: {result.summary()}")
        finally:
            if saved is None:
                os.environ.pop("BENCH_GUNICORN_ARGS", None)
            else:
                os.environ["BENCH_GUNICORN_ARGS"] = saved
        return comparison

    # --- report -------------------------------------------------------------------------------------------------
    def table(self) -> str:
        header = ("bench", "name", "value", "unit", "baseline", "ratio", "goal", "note")
        lines = []
        for row in self.rows:
            baseline = ""
            if row.baseline is not None:
                baseline = f"{row.baseline_name} {_fmt(row.baseline)}" if row.baseline_name else _fmt(row.baseline)
            elif row.baseline_name:
                baseline = f"{row.baseline_name} (not measured)"
            lines.append(
                (
                    row.bench,
                    row.name,
                    "FAILED" if row.failed else ("-" if row.value is None else _fmt(row.value)),
                    row.unit,
                    baseline,
                    "" if row.ratio is None else f"{row.ratio:.3f}",
                    "" if row.goal is None else str(row.goal),
                    row.note or "",
                )
            )
        widths = [max(len(header[i]), *(len(line[i]) for line in lines)) if lines else len(header[i]) for i in range(7)]
        out = ["  ".join(header[i].ljust(widths[i]) for i in range(7)) + "  note"]
        out.append("  ".join("-" * w for w in widths) + "  ----")
        out.extend("  ".join(line[i].ljust(widths[i]) for i in range(7)) + "  " + line[7] for line in lines)
        return "\n".join(out)

    def results(self) -> dict:
        return {
            "database": "postgresql" if self.is_postgres else "sqlite",
            "database_url": _redact(self.database_url),
            "load_generator": self.loadgen,
            "gunicorn": gunicorn_args(),
            "baselines": self.baselines,
            "info": self.info,
            "rows": [asdict(row) | {"goal": None if row.goal is None else str(row.goal)} for row in self.rows],
        }


# --- helpers ------------------------------------------------------------------------------------------------------
def _fmt(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.4g}"


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _psycopg_conninfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    scheme = "postgresql" if parts.scheme in {"postgres", "postgresql", "pgsql"} else parts.scheme
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def process_tree_cpu_seconds(root_pid: int) -> float | None:
    """User + system CPU seconds of a process and its live descendants (Linux /proc), or None without /proc."""
    if not os.path.isdir("/proc"):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    seconds: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
        children.setdefault(int(fields[1]), []).append(int(entry))
        seconds[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += seconds.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(process: subprocess.Popen, port: int, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    _stop(process)
    raise RuntimeError(
        f"gunicorn did not answer on port {port} within {timeout:.0f} s:\n{log_path.read_text()[-4000:]}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _normalize_request(request: Request, *, default_headers: dict[str, str] | None) -> tuple[str, str, list, bytes]:
    if not isinstance(request, tuple | list) or len(request) != 4:
        raise ValueError(f"a request is (method, path, headers, body), not {request!r}")
    method, path, headers, body = request
    if path.startswith(("http://", "https://")):
        parts = urllib.parse.urlsplit(path)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/"):
        raise ValueError(f"a request path starts with '/', not {path!r}")
    if headers is None:
        headers = default_headers or {}
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    if isinstance(body, str):
        body = body.encode()
    body = body or b""
    for name, value in items:
        if "\n" in name or "\n" in str(value) or "\r" in name or "\r" in str(value):
            raise ValueError(f"header {name!r} contains a line break")
    return method.upper(), path, [(str(name), str(value)) for name, value in items], body


def _wait4(process: subprocess.Popen) -> tuple[int, float]:
    """Reaps the process and returns (exit code, CPU seconds user+system)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


# --- wrk ----------------------------------------------------------------------------------------------------------
WRK_LUA = r"""
-- Written by tests/benchmarks/harness.py. Counts status codes per thread; done() prints one JSON line.
local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

statuses = {}
local reqs = nil
local idx = 0
local step = 1

local function read_requests(path)
  local f = assert(io.open(path, "rb"))
  local list = {}
  while true do
    local method = f:read("*l")
    if not method or method == "" then break end
    local target = f:read("*l")
    local nheaders = tonumber(f:read("*l"))
    local headers = {}
    for _ = 1, nheaders do
      local name = f:read("*l")
      headers[name] = f:read("*l")
    end
    local length = tonumber(f:read("*l"))
    local body = nil
    if length > 0 then body = f:read(length) end
    f:read("*l")
    list[#list + 1] = wrk.format(method, target, headers, body)
  end
  f:close()
  return list
end

function init(args)
  statuses = {}
  if args[1] and args[1] ~= "" then
    reqs = read_requests(args[1])
    step = tonumber(args[2]) or 1
    idx = (tid or 1) - 1
  end
end

if os.getenv("BENCH_WRK_VARYING") == "1" then
  function request()
    local r = reqs[(idx % #reqs) + 1]
    idx = idx + step
    return r
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if s then
      for code, n in pairs(s) do
        counts[#counts + 1] = string.format('{"%d":%d}', code, n)
      end
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
    .. '"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%f,"max_us":%d,"statuses":[%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max,
    table.concat(counts, ",")))
end
"""


def _wrk_load(parsed, requests, varying: bool, concurrency: int, duration: float, timeout: float) -> LoadResult:
    threads = 1 if concurrency < 64 else 2
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(WRK_LUA)
        data = Path(tmp) / "requests.bin"
        with open(data, "wb") as out:
            for method, path, headers, body in requests:
                out.write(f"{method}\n{path}\n{len(headers)}\n".encode())
                for name, value in headers:
                    out.write(f"{name}\n{value}\n".encode())
                out.write(f"{len(body)}\n".encode() + body + b"\n")
        base = f"http://{parsed.hostname}:{parsed.port or 80}{requests[0][1]}"
        args = [
            "wrk",
            f"-t{threads}",
            f"-c{max(concurrency, threads)}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={max(1, round(timeout))}s",
            "-s",
            str(script),
            base,
            "--",
            str(data) if varying else "",
            str(threads),
        ]
        env = {**os.environ, "BENCH_WRK_VARYING": "1" if varying else "0"}
        with open(Path(tmp) / "out.txt", "w+b") as out:
            started = time.monotonic()
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
            code, cpu = _wait4(process)
            wall = time.monotonic() - started
            out.seek(0)
            output = out.read().decode(errors="replace")
    line = next((line for line in output.splitlines() if line.startswith("BENCH_JSON ")), None)
    if code != 0 or line is None:
        raise RuntimeError(f"wrk exited with {code}:\n{output[-3000:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    statuses: dict[str, int] = {}
    for item in data["statuses"]:
        for code_text, count in item.items():
            statuses[code_text] = statuses.get(code_text, 0) + count
    socket_errors = {name: count for name, count in data["errors"].items() if name != "status" and count}
    server_errors = sum(count for code_text, count in statuses.items() if int(code_text) >= 500)
    seconds = data["duration_us"] / 1e6 or duration
    return LoadResult(
        rps=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=sum(socket_errors.values()) + server_errors,
        status_counts=dict(sorted(statuses.items())),
        client_cpu_percent=100 * cpu / wall if wall else 0.0,
        requests=data["requests"],
        duration_s=seconds,
        mean_ms=data["mean_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=socket_errors,
        generator=f"wrk -t{threads}",
    )


# --- Python fallback ----------------------------------------------------------------------------------------------
def _python_load(parsed, requests, concurrency: int, duration: float, timeout: float) -> LoadResult:
    spec = {
        "host": parsed.hostname,
        "port": parsed.port or 80,
        "concurrency": concurrency,
        "duration": duration,
        "timeout": timeout,
        "requests": [
            [method, path, headers, base64.b64encode(body).decode()] for method, path, headers, body in requests
        ],
    }
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        with open(Path(tmp) / "out.txt", "w+b") as out:
            started = time.monotonic()
            process = subprocess.Popen(
                [PYTHON, "-m", "tests.benchmarks.harness", "loadgen", str(spec_path)],
                cwd=BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            code, cpu = _wait4(process)
            wall = time.monotonic() - started
            out.seek(0)
            output = out.read().decode(errors="replace")
    line = next((line for line in output.splitlines() if line.startswith("BENCH_JSON ")), None)
    if code != 0 or line is None:
        raise RuntimeError(f"the Python load generator exited with {code}:\n{output[-3000:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    result = LoadResult(**data)
    result.client_cpu_percent = 100 * cpu / wall if wall else 0.0
    return result


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    rank = max(0, math.ceil(pct / 100 * len(ordered)) - 1)
    return ordered[rank]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one HTTP/1.1 response; returns (status, keep the connection open)."""
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = None
    chunked = False
    keep_alive = status_line.startswith(b"HTTP/1.1")
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection":
            keep_alive = value == b"keep-alive" or (keep_alive and value != b"close")
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        keep_alive = False
    return status, keep_alive


async def _python_loadgen(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    host_header = f"{host}:{port}"
    raw = []
    for method, path, headers, body_b64 in spec["requests"]:
        body = base64.b64decode(body_b64)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host_header}"]
        names = {name.lower() for name, _ in headers}
        lines.extend(f"{name}: {value}" for name, value in headers)
        if (body or method not in {"GET", "HEAD"}) and "content-length" not in names:
            lines.append(f"Content-Length: {len(body)}")
        raw.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = {"connect": 0, "read": 0, "timeout": 0}
    next_index = 0
    started = time.monotonic()
    deadline = started + spec["duration"]

    async def connection():
        nonlocal next_index
        reader = writer = None
        while time.monotonic() < deadline:
            if writer is None:
                try:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), spec["timeout"])
                except (TimeoutError, OSError):
                    errors["connect"] += 1
                    await asyncio.sleep(0.05)
                    continue
            payload = raw[next_index % len(raw)]
            next_index += 1
            sent = time.monotonic()
            try:
                writer.write(payload)
                status, keep = await asyncio.wait_for(_read_response(reader), spec["timeout"])
            except TimeoutError:
                errors["timeout"] += 1
                keep, status = False, None
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors["read"] += 1
                keep, status = False, None
            if status is not None:
                latencies.append(time.monotonic() - sent)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(spec["concurrency"])))
    elapsed = time.monotonic() - started
    latencies.sort()
    server_errors = sum(count for code, count in statuses.items() if int(code) >= 500)
    socket_errors = {name: count for name, count in errors.items() if count}
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p95_ms": _percentile(latencies, 95) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "errors": sum(socket_errors.values()) + server_errors,
        "status_counts": dict(sorted(statuses.items())),
        "client_cpu_percent": 0.0,
        "requests": len(latencies),
        "duration_s": elapsed,
        "mean_ms": (sum(latencies) / len(latencies) * 1000) if latencies else 0.0,
        "max_ms": (latencies[-1] * 1000) if latencies else 0.0,
        "socket_errors": socket_errors,
        "generator": "python asyncio",
    }


# --- baselines ----------------------------------------------------------------------------------------------------
BASELINE_WORKERS = 8


def _pg_insert_worker(conninfo: str, worker: int, barrier, seconds: float, results) -> None:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        cursor = conn.cursor()
        barrier.wait(timeout=120)  # every connection open before the clock starts
        end = time.monotonic() + seconds
        count = 0
        while time.monotonic() < end:
            cursor.execute("INSERT INTO bench_baseline (worker, payload) VALUES (%s, %s)", (worker, "x" * 64))
            count += 1
    results.put(count)


def _sqlite_insert_worker(path: str, worker: int, barrier, seconds: float, results) -> None:
    conn = sqlite3.connect(path, timeout=20, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    barrier.wait(timeout=120)
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        conn.execute("INSERT INTO bench_baseline (worker, payload) VALUES (?, ?)", (worker, "x" * 64))
        count += 1
    conn.close()
    results.put(count)


def _run_insert_workers(target, dsn: str, seconds: float) -> float:
    """Commits per second of BASELINE_WORKERS processes, started together once all are connected."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(BASELINE_WORKERS + 1)
    results = context.Queue()
    workers = [
        context.Process(target=target, args=(dsn, worker, barrier, seconds, results), daemon=True)
        for worker in range(BASELINE_WORKERS)
    ]
    for process in workers:
        process.start()
    try:
        barrier.wait(timeout=120)
        counts = [results.get(timeout=seconds + 60) for _ in workers]
    finally:
        for process in workers:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return sum(counts) / seconds


def _baseline_pg(database_url: str, seconds: float) -> tuple[float, str]:
    import psycopg

    conninfo = _psycopg_conninfo(database_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        fsync = conn.execute("SHOW fsync").fetchone()[0]
        synchronous_commit = conn.execute("SHOW synchronous_commit").fetchone()[0]
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute("DROP TABLE IF EXISTS bench_baseline")
        conn.execute(
            "CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, worker integer NOT NULL, payload text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    try:
        rate = _run_insert_workers(_pg_insert_worker, conninfo, seconds)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_baseline")
    note = (
        f"PostgreSQL {version.split()[0]} single-row INSERT autocommit, {BASELINE_WORKERS} connections, "
        f"{seconds:.0f} s, fsync={fsync} synchronous_commit={synchronous_commit}"
    )
    return rate, note


def _baseline_sqlite(path: Path, seconds: float) -> tuple[float, str]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("DROP TABLE IF EXISTS bench_baseline")
    conn.execute(
        "CREATE TABLE bench_baseline (id integer PRIMARY KEY, worker integer NOT NULL, payload text NOT NULL, "
        "created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    conn.close()
    try:
        rate = _run_insert_workers(_sqlite_insert_worker, str(path), seconds)
    finally:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("DROP TABLE IF EXISTS bench_baseline")
        conn.close()
    note = (
        f"SQLite {sqlite3.sqlite_version} (not PostgreSQL): single-row INSERT autocommit through sqlite3, "
        f"{BASELINE_WORKERS} processes, {seconds:.0f} s, WAL synchronous=NORMAL like the app"
    )
    return rate, note


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "loadgen":
        result = asyncio.run(_python_loadgen(json.loads(Path(sys.argv[2]).read_text())))
        print("BENCH_JSON " + json.dumps(result), flush=True)
    else:
        raise SystemExit("usage: python -m tests.benchmarks.harness loadgen SPEC.json")
