"""Password hashing cannot be turned into a denial of service: the login admission limit under a flood.

Issue 9: "password hashing cost kept from turning logins into a denial of service (admission limit on
login attempts)". A flood of wrong passwords to /admin/login/ from many addresses (X-Forwarded-For with
TRUSTED_PROXY_COUNT=1; the per-address and per-username limits are switched off so that only the
concurrency limit acts) runs while the home page is measured.

Rows:
- in-process: the time a wrong password costs (a full PBKDF2 check) against a request refused by the
  admission limit (429 before any hash), medians;
- home page p50 and p99 at 4 connections with no flood (the baseline of the rows below);
- the same during the flood with LOGIN_MAX_CONCURRENT_HASHES=2 (the default) and with 64 (no limit);
- the flood's refusals (429) and password checks per second in each case.
``BENCH_LOGIN_FLOOD_CONNECTIONS`` (default 16) sets the flood's connections.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
import urllib.request

PASSWORD = "bench-login-passphrase-2026"


def _seed() -> None:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-login", defaults={"is_staff": True})
    user.set_password(PASSWORD)
    user.save()


def _csrf(base_url: str) -> tuple[str, str]:
    """The CSRF cookie ("name=value") and the form token of the admin login page."""
    with urllib.request.urlopen(f"{base_url}/admin/login/", timeout=30) as response:  # noqa: S310 (local server)
        html = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    cookie = next(c.split(";", 1)[0] for c in cookies if "csrftoken" in c.split("=", 1)[0])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return cookie, token


def _flood_requests(cookie: str, token: str):
    body = urllib.parse.urlencode(
        {"username": "bench-login", "password": "wrong-guess", "csrfmiddlewaretoken": token, "next": "/admin/"}
    )
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}

    def make(i: int):
        address = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        return ("POST", "/admin/login/", {**headers, "X-Forwarded-For": address}, body)

    return make


def _home_during_flood(ctx, base_url: str, flood_connections: int) -> tuple[object, object]:
    cookie, token = _csrf(base_url)
    flood = {}

    def run_flood():
        flood["result"] = ctx.http_load(
            url=f"{base_url}/admin/login/",
            concurrency=flood_connections,
            duration=12,
            make_request=_flood_requests(cookie, token),
            prebuild=5000,
            timeout=30,
        )

    thread = threading.Thread(target=run_flood)
    thread.start()
    time.sleep(2)  # the flood is running before the measurement starts
    home = ctx.http_load(url=f"{base_url}/", concurrency=4, duration=8, timeout=30)
    thread.join()
    return home, flood["result"]


def _refusal_cost(ctx) -> None:
    import statistics

    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings

    def post(client, ip):
        started = time.perf_counter()
        response = client.post("/admin/login/", {"username": "bench-login", "password": "wrong"}, REMOTE_ADDR=ip)
        return response.status_code, (time.perf_counter() - started) * 1000

    hosts = ["testserver", "127.0.0.1", "localhost"]
    with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False, LOGIN_RATE_PER_IP=0):
        cache.clear()
        checked = [post(Client(), f"192.0.2.{i}") for i in range(1, 4)]
    with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False, LOGIN_RATE_PER_IP=1):
        cache.clear()
        client = Client()
        post(client, "192.0.2.99")
        refused = [post(client, "192.0.2.99") for _ in range(20)]
    cache.clear()
    check_ms = statistics.median(ms for _, ms in checked)
    refuse_ms = statistics.median(ms for _, ms in refused)
    ctx.record(
        "wrong password, full check",
        check_ms,
        "ms",
        note=f"statuses {sorted({code for code, _ in checked})}",
    )
    ctx.record(
        "login refused by the admission limit",
        refuse_ms,
        "ms",
        note=f"statuses {sorted({code for code, _ in refused})}; {check_ms / max(refuse_ms, 0.001):.0f}x cheaper",
    )


def run(ctx) -> None:
    _seed()
    _refusal_cost(ctx)
    connections = ctx.size("BENCH_LOGIN_FLOOD_CONNECTIONS", 16)
    common = {
        "TRUSTED_PROXY_COUNT": "1",
        "LOGIN_RATE_PER_IP": "0",
        "LOGIN_RATE_PER_USERNAME": "0",
        "AXES_FAILURE_LIMIT": "1000000",
    }
    with ctx.server(extra_env=common) as base_url:
        quiet = ctx.http_load(url=f"{base_url}/", concurrency=4, duration=8, timeout=30)
    ctx.record("home p50, no flood", quiet.p50_ms, "ms", note=quiet.summary())
    ctx.record("home p99, no flood", quiet.p99_ms, "ms")

    for limit in (2, 64):
        label = "admission limit 2 (default)" if limit == 2 else "no limit (64)"
        with ctx.server(extra_env={**common, "LOGIN_MAX_CONCURRENT_HASHES": str(limit)}) as base_url:
            home, flood = _home_during_flood(ctx, base_url, connections)
        refused = flood.status_counts.get("429", 0)
        checked = sum(n for code, n in flood.status_counts.items() if code != "429")
        ctx.record(
            f"home p50 during login flood, {label}",
            home.p50_ms,
            "ms",
            baseline=quiet.p50_ms,
            note=home.summary(),
        )
        ctx.record(f"home p99 during login flood, {label}", home.p99_ms, "ms", baseline=quiet.p99_ms)
        ctx.record(
            f"flood password checks per second, {label}",
            checked / max(flood.duration_s, 0.001),
            "checks/s",
            note=f"{refused} of {flood.requests} flood requests refused with 429; {flood.summary()}",
        )
