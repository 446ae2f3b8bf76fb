"""The public status page under load: anonymous ``/status/`` from the cache, alone and while complaints are filed.

Goal (issue 4): at least 1,000 requests per second on the build machine, zero database queries per hit.
Rows:
- queries per cached anonymous hit (in-process check with the same settings, CaptureQueriesContext);
- /status/ req/s and p99 at 32 connections for BENCH_DURATION seconds (10), beside B-NOOP (the no-op page);
- the same with a distinct query string on every request (query strings cannot bypass the cache);
- the same while a thread files complaints through complaints.services.complaint_file, and how many it filed.
``BENCH_STATUS_INCIDENTS`` (default 60) sets how many incidents the page is built from.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.request

CONCURRENCY = 32


def _seed(count: int):
    from django.utils import timezone

    from tracker.customers.models import Business, Contact, Region, Service, Subscription
    from tracker.incidents import services

    phone, _ = Service.objects.get_or_create(slug="business-phone", defaults={"name": "Business phone"})
    email, _ = Service.objects.get_or_create(slug="fixed-email", defaults={"name": "Fixed e-mail"})
    regions = [
        Region.objects.get_or_create(
            code=f"CH-B{i:02d}", defaults={"name": f"Bench {i}", "country": "CH", "kind": "canton"}
        )[0]
        for i in range(26)
    ]
    now = timezone.now()
    for i in range(count):
        started = now - dt.timedelta(days=(i * 89) / max(count, 1), hours=3)
        incident = services.incident_declare(
            title=f"Bench outage {i} <b>&</b>",
            services=[phone if i % 2 else email],
            regions=regions[i % 26 : i % 26 + 3],
            started_at=started,
            message="Calls fail.",
            language="en",
            translations={"fr": "Les appels échouent."},
            notify=False,
        )
        if i % 3:
            services.incident_resolve(
                incident=incident,
                resolved_at=started + dt.timedelta(hours=2),
                message="Back.",
                language="en",
                notify=False,
            )
    business, _ = Business.objects.get_or_create(customer_number="BENCH-1", defaults={"company_name": "Bench SA"})
    contact, _ = Contact.objects.get_or_create(business=business, email="bench@example.com")
    subscription, _ = Subscription.objects.get_or_create(
        business=business, service=phone, region=regions[0], defaults={"site_label": "HQ", "monthly_fee": 100}
    )
    return contact, subscription


def _queries_per_cached_hit() -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    paths = ("/status/", "/status/?utm=bench", "/status/feed.atom")
    for path in paths:
        assert client.get(path).status_code == 200  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        for path in paths:
            assert client.get(path).status_code == 200
    return len(queries)


def _file_complaints(contact, subscription, stop: threading.Event, counter: list[int]) -> None:
    from django.db import connection
    from django.utils import timezone

    from complaints.services import complaint_file

    try:
        while not stop.is_set():
            complaint_file(
                contact=contact,
                subscription=subscription,
                category="no_dial_tone",
                since=timezone.now() - dt.timedelta(hours=1),
                description="No dial tone since this morning.",
            )
            counter[0] += 1
    finally:
        connection.close()


def run(ctx) -> None:
    started = time.monotonic()
    contact, subscription = _seed(ctx.size("BENCH_STATUS_INCIDENTS", 60))
    print(f"  seeded in {time.monotonic() - started:.1f} s")
    queries = _queries_per_cached_hit()
    ctx.record("queries per cached anonymous hit", queries / 3, "queries", goal="0")

    with ctx.server() as base_url:
        urllib.request.urlopen(f"{base_url}/status/", timeout=30).read()  # noqa: S310 - local server
        plain = ctx.http_load(url=f"{base_url}/status/", concurrency=CONCURRENCY)
        ctx.record("/status/ anonymous", plain.rps, "req/s", baseline="B-NOOP", goal=">= 1000", note=plain.summary())
        ctx.record("/status/ anonymous p99", plain.p99_ms, "ms")

        busting = ctx.http_load(
            url=f"{base_url}/status/",
            concurrency=CONCURRENCY,
            make_request=lambda i: ("GET", f"/status/?bust={i}", None, None),
        )
        ctx.record(
            "/status/ with a new query string per request",
            busting.rps,
            "req/s",
            baseline="B-NOOP",
            goal=">= 1000",
            note=busting.summary(),
        )

        try:
            import complaints.services  # noqa: F401
        except ImportError:
            ctx.record("/status/ while complaints are filed", None, "req/s", note="complaint filing service pending")
            return
        stop, counter = threading.Event(), [0]
        filer = threading.Thread(target=_file_complaints, args=(contact, subscription, stop, counter), daemon=True)
        filer_started = time.monotonic()
        filer.start()
        try:
            loaded = ctx.http_load(url=f"{base_url}/status/", concurrency=CONCURRENCY)
        finally:
            stop.set()
            filer.join(timeout=30)
        filed_rate = counter[0] / (time.monotonic() - filer_started)
        ctx.record(
            "/status/ while complaints are filed",
            loaded.rps,
            "req/s",
            baseline="B-NOOP",
            goal=">= 1000",
            note=loaded.summary(),
        )
        ctx.record("complaints filed meanwhile", filed_rate, "complaints/s", note=f"{counter[0]} in total")
