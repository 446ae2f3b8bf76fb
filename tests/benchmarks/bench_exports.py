"""Exports: complaints to CSV, constant memory (issue 7, item 6).

Seeds BENCH_COMPLAINTS complaints (default 100,000; the goal is stated for 1,000,000:
BENCH_COMPLAINTS=1000000) with one INSERT ... SELECT, then measures:

* rows per second of the streamed CSV over HTTP (gunicorn, production settings, a manager's session),
  against PostgreSQL's own ``COPY (same query) TO STDOUT WITH CSV`` in the same run (on SQLite:
  the same query read raw through sqlite3, there is no COPY);
* time to first byte of that response;
* peak memory growth of ``manage.py export_report complaints`` (the same writer) at N rows and at
  BENCH_EXPORT_FACTOR x N rows (default 5): RSS polled from /proc, peak minus the RSS at the first byte.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import threading
import time
import urllib.parse
from importlib import import_module
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _seed(n: int, start: int = 0) -> None:
    from django.db import connection
    from django.utils import timezone

    from complaints.models import Complaint
    from tests.factories import BusinessFactory, RegionFactory, ServiceFactory

    business = BusinessFactory(company_name="Bench SA")
    service = ServiceFactory(slug="bench-service", name="Bench service")
    region = RegionFactory(code="CH-BE", name="Bench")
    now = timezone.now()
    pg = connection.vendor == "postgresql"
    seconds = "make_interval(secs => x)" if pg else None
    known = {
        "reference": "'B-' || x",
        "submission_token": "md5(x::text)::uuid" if pg else "printf('%032x', x)",
        "business_id": str(business.pk),
        "service_id": str(service.pk),
        "region_id": str(region.pk),
        "site_label": "CASE WHEN x % 100 = 0 THEN '=HYPERLINK(1)' ELSE 'Site ' || (x % 50) END",
        "category": "'cannot_receive_email'",
        "description": "'No e-mail since this morning, the whole office is affected.'",
        "status": "CASE WHEN x % 3 = 0 THEN 'resolved' ELSE 'new' END",
        "priority": "'normal'",
        "loss_amount": "CASE WHEN x % 4 = 0 THEN (x % 1000) + 0.5 ELSE NULL END",
        "loss_currency": "CASE WHEN x % 4 = 0 THEN 'CHF' ELSE '' END",
        "sla_breached": "(x % 7 = 0)",
        "has_loss": "(x % 4 = 0)",
    }
    if pg:
        for column in ("created_at", "updated_at", "since"):
            known[column] = f"%s::timestamptz - {seconds}"
    else:
        for column in ("created_at", "updated_at", "since"):
            known[column] = "strftime('%Y-%m-%d %H:%M:%f', %s, '-' || x || ' seconds')"
    columns, exprs, params = [], [], []
    for field in Complaint._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in known:
            expr = known[field.column]
            if "%s" in expr:
                params.append(now if pg else now.strftime("%Y-%m-%d %H:%M:%S"))
            # Literal percent signs are doubled: both backends take %s placeholders.
            exprs.append(re.sub(r"%(?!s)", "%%", expr))
        elif field.null:
            exprs.append("NULL")
        else:
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    # Only numbers and model metadata are pasted in; the values go as parameters.
    first, last = start + 1, start + n
    prefix = (
        "" if pg else f"WITH RECURSIVE cnt(x) AS (SELECT {first} UNION ALL SELECT x + 1 FROM cnt WHERE x < {last}) "  # noqa: S608
    )
    source = f"generate_series({first}, {last}) AS g(x)" if pg else "cnt"
    table = Complaint._meta.db_table
    sql = " ".join(
        [prefix + f"INSERT INTO {table} ({', '.join(columns)})", f"SELECT {', '.join(exprs)} FROM {source}"]  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    if pg:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Complaint._meta.db_table}")


def _session_cookie() -> tuple[str, str]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory
    from tracker.customers.roles import MANAGER

    user = UserFactory(username="bench-manager", email="bench@example.com")
    user.groups.add(Group.objects.get(name=MANAGER))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return settings.SESSION_COOKIE_NAME, store.session_key


def _http_export(base_url: str, cookie: tuple[str, str]) -> dict:
    parsed = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
    started = time.monotonic()
    conn.request("GET", "/reports/export/complaints.csv", headers={"Cookie": f"{cookie[0]}={cookie[1]}"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"export answered {response.status}: {response.read(500)!r}")
    first = response.read(1)
    ttfb = time.monotonic() - started
    lines = first.count(b"\n")
    size = len(first)
    while True:
        chunk = response.read(1 << 20)
        if not chunk:
            break
        lines += chunk.count(b"\n")
        size += len(chunk)
    total = time.monotonic() - started
    conn.close()
    return {"ttfb": ttfb, "seconds": total, "rows": lines - 1, "bytes": size}


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _cli_export(ctx) -> dict:
    """Runs export_report to a pipe; returns rows/s and the RSS growth after the first byte."""
    import sys

    process = subprocess.Popen(
        [sys.executable, "manage.py", "export_report", "complaints", "--output", "-"],
        cwd=BASE_DIR,
        env=ctx.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    samples: dict[str, int] = {"peak": 0, "at_first_byte": 0}
    first_byte = threading.Event()
    done = threading.Event()

    def poll():
        while not done.is_set():
            rss = _rss_kb(process.pid)
            if rss:
                if first_byte.is_set() and not samples["at_first_byte"]:
                    samples["at_first_byte"] = rss
                samples["peak"] = max(samples["peak"], rss)
            time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    assert process.stdout is not None
    started = time.monotonic()
    first = process.stdout.read(1)
    first_at = time.monotonic()
    first_byte.set()
    lines = first.count(b"\n")
    while True:
        chunk = process.stdout.read(1 << 20)
        if not chunk:
            break
        lines += chunk.count(b"\n")
    code = process.wait()
    done.set()
    poller.join()
    if code != 0:
        raise RuntimeError(f"export_report failed: {process.stderr.read().decode()[-2000:]}")
    seconds = time.monotonic() - first_at
    return {
        "rows": lines - 1,
        "rows_per_s": (lines - 1) / seconds if seconds else 0.0,
        "growth_mb": max(samples["peak"] - samples["at_first_byte"], 0) / 1024,
        "startup_s": first_at - started,
    }


def _baseline(rows_expected: int) -> tuple[float, str]:
    """The same query without Python: COPY on PostgreSQL, a raw sqlite3 cursor on SQLite."""
    from django.db import connection

    from tracker.reports.exports import export_sql
    from tracker.reports.selectors import ReportFilters

    # The export's own SELECT, cells formatted by the database: COPY does the same work minus Python.
    sql, params = export_sql("complaints", ReportFilters())
    started = time.monotonic()
    if connection.vendor == "postgresql":
        with connection.cursor() as wrapper:
            raw = wrapper.cursor
            rows = 0
            with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for data in copy:
                    rows += bytes(data).count(b"\n")
        note = "PostgreSQL COPY (same query) TO STDOUT WITH CSV"
    else:
        with connection.cursor() as wrapper:
            raw = wrapper.cursor
            raw.execute(sql, params)
            rows = 0
            while batch := raw.fetchmany(2000):
                rows += len(batch)
        note = "SQLite has no COPY: the same query read raw through sqlite3"
    seconds = time.monotonic() - started
    if rows != rows_expected:
        note += f" (read {rows} rows, expected {rows_expected})"
    return rows / seconds if seconds else 0.0, note


def run(ctx) -> None:
    n = ctx.size("BENCH_COMPLAINTS", 100_000)
    factor = ctx.size("BENCH_EXPORT_FACTOR", 5)
    started = time.monotonic()
    _seed(n)
    print(f"   seeded {n:,} complaints in {time.monotonic() - started:.1f} s")
    cookie = _session_cookie()

    _baseline(n)  # warm the cache: the first read after the bulk insert also sets hint bits
    with ctx.server(extra_env={"REPORTS_STREAM_MAX_ROWS": str(10**12)}, workers=1) as base_url:
        result = _http_export(base_url, cookie)
    # The best of two runs, measured right after the export on the same warm cache.
    copy_rate, copy_note = max(_baseline(n), _baseline(n))
    ctx.record("COPY baseline (same query)", copy_rate, "rows/s", note=f"{copy_note}, best of 2")
    if result["rows"] != n:
        raise RuntimeError(f"the export had {result['rows']} rows, expected {n}")
    http_rate = result["rows"] / result["seconds"]
    ctx.record(
        f"CSV export over HTTP, {n:,} rows",
        http_rate,
        "rows/s",
        baseline=copy_rate,
        goal=">= 50,000 and >= 0.2 x COPY",
        note=f"{result['bytes'] / 1e6:.0f} MB in {result['seconds']:.1f} s",
    )
    ctx.record("CSV export time to first byte", result["ttfb"] * 1000, "ms", goal="<= 1000")

    small = _cli_export(ctx)
    ctx.record(
        f"export_report memory growth, {n:,} rows",
        small["growth_mb"],
        "MB",
        goal="<= 100",
        note=f"{small['rows_per_s']:,.0f} rows/s through the command, startup {small['startup_s']:.1f} s",
    )
    started = time.monotonic()
    _seed(n * (factor - 1), start=n)
    print(f"   seeded {n * (factor - 1):,} more complaints in {time.monotonic() - started:.1f} s")
    large = _cli_export(ctx)
    if large["rows"] != n * factor:
        raise RuntimeError(f"the export had {large['rows']} rows, expected {n * factor}")
    ctx.record(
        f"export_report memory growth, {n * factor:,} rows",
        large["growth_mb"],
        "MB",
        baseline=small["growth_mb"] or None,
        goal="<= 100, same as at N",
        note=f"{large['rows_per_s']:,.0f} rows/s through the command",
    )
