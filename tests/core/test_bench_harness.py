"""The benchmark harness itself (tests/benchmarks/harness.py): load generators, requests, the results table."""

import shutil
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.benchmarks.harness import Context, _normalize_request, _with_database


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like gunicorn's gthread worker

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.seen[self.path] += 1
            self.server.bodies.append(body)
            self.server.headers.append(self.headers.get("X-Bench"))
        status = 500 if self.path.startswith("/boom") else 200
        payload = b"ok" if status == 200 else b"boom"
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.seen = Counter()
    server.bodies = []
    server.headers = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def ctx():
    return Context(caller_env={"PATH": "/usr/bin:/bin"})


GENERATORS = [
    "python",
    pytest.param(
        "wrk", marks=pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (apt-get install wrk)")
    ),
]


@pytest.mark.parametrize("generator", GENERATORS)
def test_http_load_counts_every_response_the_server_sent(ctx, recorder, generator):
    ctx.loadgen = generator
    port = recorder.server_address[1]
    requests = [("GET", "/ok", None, None), ("GET", "/boom", None, None)]

    result = ctx.http_load(url=f"http://127.0.0.1:{port}/", concurrency=2, duration=1, make_request=requests)

    # wrk stops at the deadline without counting the requests still in flight (at most one per connection);
    # the Python client waits for them.
    in_flight = {"python": 0, "wrk": 2}[generator]
    assert set(result.status_counts) == {"200", "500"}
    assert 0 <= recorder.seen["/ok"] - result.status_counts["200"] <= in_flight
    assert 0 <= recorder.seen["/boom"] - result.status_counts["500"] <= in_flight
    assert result.status_counts["200"] > 0
    assert result.status_counts["500"] > 0
    assert result.errors == result.status_counts["500"]
    assert result.requests == result.status_counts["200"] + result.status_counts["500"]
    assert result.rps > 0
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms
    assert result.client_cpu_percent > 0
    assert result.concurrency == 2


@pytest.mark.parametrize("generator", GENERATORS)
def test_http_load_sends_each_prebuilt_request_with_its_body_and_headers(ctx, recorder, generator):
    ctx.loadgen = generator
    port = recorder.server_address[1]

    def make_request(i):
        return ("POST", f"/ok?n={i}", {"X-Bench": f"h{i}", "Content-Type": "text/plain"}, f"body {i} é")

    result = ctx.http_load(
        url=f"http://127.0.0.1:{port}/", concurrency=1, duration=1, make_request=make_request, prebuild=5
    )

    assert set(recorder.seen) == {f"/ok?n={i}" for i in range(5)}
    assert set(recorder.bodies) == {f"body {i} é".encode() for i in range(5)}
    assert set(recorder.headers) == {f"h{i}" for i in range(5)}
    assert result.errors == 0


def test_http_load_with_a_plain_url_repeats_one_get(ctx, recorder):
    ctx.loadgen = "python"
    port = recorder.server_address[1]

    result = ctx.http_load(url=f"http://127.0.0.1:{port}/ok?x=1", concurrency=3, duration=1)

    assert list(recorder.seen) == ["/ok?x=1"]
    assert result.status_counts == {"200": recorder.seen["/ok?x=1"]}
    assert result.errors == 0


def test_server_cpu_counts_the_server_process_and_its_children():
    import subprocess
    import sys

    from tests.benchmarks.harness import process_tree_cpu_seconds

    # A shell whose child burns about 0.4 s of CPU, then waits to be measured.
    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    parent = subprocess.Popen(["/bin/sh", "-c", f"{sys.executable} -c '{burn}'; true"])
    try:
        deadline = time.monotonic() + 20
        while (process_tree_cpu_seconds(parent.pid) or 0) < 0.35 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 0.35 <= process_tree_cpu_seconds(parent.pid) < 5
        assert process_tree_cpu_seconds(2**22 + 1) == 0.0  # no such process
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)], check=False)
        parent.kill()
        parent.wait()


def test_http_load_reports_the_cpu_of_the_server_it_ran(ctx, recorder):
    import os

    ctx.loadgen = "python"
    port = recorder.server_address[1]

    unknown = ctx.http_load(url=f"http://127.0.0.1:{port}/ok", concurrency=2, duration=0.5)
    ctx._server = (port, os.getpid())  # as ctx.server() sets it; this test process runs the recorder
    measured = ctx.http_load(url=f"http://127.0.0.1:{port}/ok", concurrency=2, duration=0.5)

    assert unknown.server_cpu_ms is None
    assert measured.server_cpu_ms is not None and measured.server_cpu_ms > 0
    assert "server CPU" in measured.summary()


def test_record_shows_the_ratio_to_a_named_baseline(ctx):
    ctx.baselines["B-NOOP"] = 2000.0
    ctx.current_bench = "status"

    row = ctx.record("status page", 500, "req/s", baseline="B-NOOP", goal=">= 0.2", note="16 conns")
    missing = ctx.record("feed", 10, "req/s", baseline="B-PG")

    assert (row.bench, row.baseline_name, row.baseline, row.ratio) == ("status", "B-NOOP", 2000.0, 0.25)
    assert (missing.baseline, missing.ratio) == (None, None)
    table = ctx.table()
    assert "status page" in table
    assert "0.250" in table
    assert "B-PG (not measured)" in table
    assert ctx.results()["rows"][0] == {
        "bench": "status",
        "name": "status page",
        "value": 500.0,
        "unit": "req/s",
        "baseline_name": "B-NOOP",
        "baseline": 2000.0,
        "ratio": 0.25,
        "goal": ">= 0.2",
        "note": "16 conns",
        "failed": False,
    }


def test_context_runs_production_settings_on_its_own_database():
    sqlite = Context(caller_env={"PATH": "/usr/bin", "DATABASE_URL": "", "SECURE_SSL_REDIRECT": "true"})
    postgres = Context(caller_env={"DATABASE_URL": "postgres://u:pw@db.example:5432/tracker", "CACHE_URL": "x://"})

    assert not sqlite.is_postgres
    assert sqlite.database_url.endswith("/var/bench/bench.sqlite3")
    assert sqlite.env["TRACKER_ENV"] == "production"
    assert sqlite.env["SECURE_SSL_REDIRECT"] == "false"
    assert sqlite.env["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert len(sqlite.env["SECRET_KEY"]) >= 50
    assert sqlite.env["CACHE_URL"].startswith("filecache://")
    assert postgres.is_postgres
    assert postgres.database_url == "postgres://u:pw@db.example:5432/tracker_bench"
    assert postgres.env["DATABASE_URL"] == "postgres://u:pw@db.example:5432/tracker_bench"
    assert postgres.env["CACHE_URL"] == "x://"


def test_requests_are_validated_before_the_load_starts():
    assert _with_database("postgres://a@h:1/db?sslmode=disable", "x") == "postgres://a@h:1/x?sslmode=disable"
    assert _normalize_request(("post", "http://h/p?q=1", {"A": "1"}, "é"), default_headers=None) == (
        "POST",
        "/p?q=1",
        [("A", "1")],
        "é".encode(),
    )
    with pytest.raises(ValueError, match="line break"):
        _normalize_request(("GET", "/", {"A": "1\r\nB: 2"}, None), default_headers=None)
    with pytest.raises(ValueError, match="starts with '/'"):
        _normalize_request(("GET", "relative", None, None), default_headers=None)


def test_noop_page_is_not_mounted_unless_the_benchmarks_ask_for_it(client, rf):
    from tracker.bench_views import noop

    assert client.get("/bench/noop").status_code == 404
    response = noop(rf.get("/bench/noop"))
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert noop(rf.post("/bench/noop")).status_code == 405
