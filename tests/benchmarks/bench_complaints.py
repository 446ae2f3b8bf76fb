"""Complaints: filings per second over HTTP, and the triage changelist on a large table.

1. Filing: logged-in contacts POST /complaints/new/ (each with a fresh submission token) to gunicorn with the
   production configuration. Rate limits are switched off for this run (every request comes from 127.0.0.1);
   everything else of a real filing happens: incident matching, reference, event, notification job, task
   published to the broker after commit. Goal on PostgreSQL: >= 0.35 of B-NOOP, >= 200/s, p95 <= 250 ms.
2. Triage admin with BENCH_COMPLAINTS complaints (default 50,000; BENCH_COMPLAINTS=1000000 for the goal's size):
   default page, a filtered page and an exact reference search. Goal: p95 <= 300 ms and <= 10 queries each
   (queries counted in-process with Django's test client on the same database).
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

CONTACTS = 400
PASSWORD_HASH = "!"  # unusable: sessions are made directly, nobody logs in with a password


def _sessions(users) -> dict[int, str]:
    """A logged-in session per user, created the way django.contrib.auth.login would."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    from tracker.security.middleware import SESSION_LAST_SEEN, SESSION_ROW_TOUCHED

    store = import_string(settings.SESSION_ENGINE + ".SessionStore")
    keys = {}
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "tracker.security.backends.AdmissionModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        # Users active a moment ago: their session is written once a minute, not on their next request.
        session[SESSION_LAST_SEEN] = session[SESSION_ROW_TOUCHED] = int(time.time())
        session.create()
        keys[user.pk] = session.session_key
    return keys


def _seed_contacts():
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from tracker.customers.models import Business, Contact, Region, Service, Subscription

    User = get_user_model()
    service, _ = Service.objects.get_or_create(slug="fixed-email", defaults={"name": "Fixed e-mail"})
    region, _ = Region.objects.get_or_create(
        code="FR-75", defaults={"name": "Paris", "country": "FR", "kind": "departement"}
    )
    businesses = Business.objects.bulk_create(
        [
            Business(customer_number=f"BENCH-{n:06d}", company_name=f"Bench {n} SARL", language="fr")
            for n in range(CONTACTS)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(username=f"bench-contact-{n}", email=f"c{n}@bench.example", password=PASSWORD_HASH)
            for n in range(CONTACTS)
        ]
    )
    Contact.objects.bulk_create(
        [
            Contact(business=b, user=u, email=u.email, name=u.username, is_business_admin=True)
            for b, u in zip(businesses, users, strict=True)
        ]
    )
    subscriptions = Subscription.objects.bulk_create(
        [
            Subscription(
                business=b, service=service, region=region, site_label="Siège", monthly_fee=Decimal(20), currency="EUR"
            )
            for b in businesses
        ]
    )
    return users, subscriptions


def _probe(base_url: str, request, *, expect: str) -> None:
    """One request before the load: fail early, with the reason, when the page does not answer as expected."""
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    method, path, headers, body = request
    connection = HTTPConnection(urlsplit(base_url).netloc, timeout=30)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    location = response.getheader("Location", "")
    text = response.read()[:300]
    connection.close()
    good = (response.status == 302 and location.startswith(expect)) if method == "POST" else response.status == 200
    if not good:
        raise RuntimeError(f"{method} {path} answered {response.status} {location!r}: {text!r}")


def bench_filing(ctx) -> None:
    from django.conf import settings
    from django.utils import timezone

    from complaints.models import Complaint

    users, subscriptions = _seed_contacts()
    sessions = _sessions(users)
    csrf = "b" * 32  # the cookie's secret; the form may carry it unmasked
    since = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    pairs = list(zip(users, subscriptions, strict=True))

    def make_request(i):
        user, subscription = pairs[i % len(pairs)]
        body = urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "submission_token": str(uuid.uuid4()),
                "subscription": subscription.pk,
                "category": "cannot_receive_email",
                "since": since,
                "description": "No e-mail arrives since this morning (benchmark).",
                "loss_amount": "120",
                "loss_currency": "EUR",
            }
        )
        cookie = f"{settings.SESSION_COOKIE_NAME}={sessions[user.pk]}; {settings.CSRF_COOKIE_NAME}={csrf}"
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        return ("POST", "/complaints/new/", headers, body)

    before = Complaint.objects.count()
    extra = {"COMPLAINTS_RATE_PER_IP": "0", "COMPLAINTS_RATE_PER_BUSINESS": "0"}
    with ctx.server(extra_env=extra) as base_url:
        _probe(base_url, make_request(0), expect="/complaints/C-")
        result = ctx.http_load(
            url=f"{base_url}/complaints/new/", make_request=make_request, concurrency=16, prebuild=20_000
        )
    filed = Complaint.objects.count() - before
    ok = result.status_counts.get("302", 0)
    note = f"{filed} filed; statuses {result.status_counts}; errors {result.errors}; p50 {result.p50_ms:.1f} ms"
    ctx.record(
        "complaint filings",
        result.rps if ok else 0,
        "req/s",
        baseline="B-NOOP",
        goal=">= 0.35 x B-NOOP and >= 200/s (PostgreSQL)",
        note=note,
    )
    ctx.record("complaint filing p95", result.p95_ms, "ms", goal="<= 250")
    noop_cpu = (ctx.info.get("b_noop") or {}).get("server_cpu_ms")
    ctx.record(
        "complaint filing, web server CPU per filing",
        result.server_cpu_ms,
        "ms",
        note="all gunicorn processes, user + system, over the run: what a filing costs, whatever else the machine does"
        + (
            f"; {result.server_cpu_ms / noop_cpu:.1f} x a B-NOOP request's" if noop_cpu and result.server_cpu_ms else ""
        ),
    )
    if not ok:
        raise RuntimeError(f"no filing succeeded: {result.summary()}")


def _seed_complaints(ctx, count: int):
    from django.db import connection

    from complaints.models import Complaint
    from tracker.customers.models import Business, Region, Service

    business_ids = list(Business.objects.values_list("pk", flat=True)[:CONTACTS])
    service_ids = list(Service.objects.values_list("pk", flat=True))
    region_ids = list(Region.objects.values_list("pk", flat=True))
    first_business, n_business = min(business_ids), len(business_ids)
    columns = (
        "reference, submission_token, business_id, service_id, region_id, site_label, category, since, description, "
        "loss_amount, loss_currency, status, priority, created_at, updated_at, sla_breached, has_loss, sla_due_at"
    )
    statuses = "ARRAY['new','triaged','in_progress','waiting','resolved','rejected']"
    start = Complaint.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with connection.cursor() as cursor:
        if ctx.is_postgres:
            cursor.execute(
                f"""INSERT INTO complaints_complaint ({columns})
                SELECT 'C-2025-' || CASE WHEN g + {start} < 1000000 THEN lpad((g + {start})::text, 6, '0')
                                         ELSE (g + {start})::text END, gen_random_uuid(),
                       {first_business} + (g % {n_business}), {service_ids[0]}, {region_ids[0]} + 0 * g, 'Site', 'slow',
                       now() - (g || ' seconds')::interval, 'Bench complaint',
                       CASE WHEN g % 7 = 0 THEN 100 ELSE NULL END, CASE WHEN g % 7 = 0 THEN 'EUR' ELSE '' END,
                       ({statuses})[1 + g % 6], 'normal', now() - (g || ' seconds')::interval, now(), g % 11 = 0,
                       g % 7 = 0, CASE WHEN g % 6 < 3 THEN now() + (g % 500 || ' minutes')::interval END
                FROM generate_series(1, {int(count)}) AS g"""  # noqa: S608 (integers from the database)
            )
            cursor.execute("ANALYZE complaints_complaint")
        else:
            cursor.execute(
                f"""WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {int(count)})
                INSERT INTO complaints_complaint ({columns})
                SELECT printf('C-2025-%06d', x + {start}), lower(hex(randomblob(16))),
                       {first_business} + (x % {n_business}),
                       {service_ids[0]}, {region_ids[0]}, 'Site', 'slow', datetime('now', '-' || x || ' seconds'),
                       'Bench complaint', CASE WHEN x % 7 = 0 THEN 100 ELSE NULL END,
                       CASE WHEN x % 7 = 0 THEN 'EUR' ELSE '' END,
                       CASE x % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'triaged' WHEN 2 THEN 'in_progress'
                                  WHEN 3 THEN 'waiting' WHEN 4 THEN 'resolved' ELSE 'rejected' END,
                       'normal', datetime('now', '-' || x || ' seconds'), datetime('now'), x % 11 = 0, x % 7 = 0,
                       CASE WHEN x % 6 < 3 THEN datetime('now', '+' || (x % 500) || ' minutes') END
                FROM g"""  # noqa: S608 (integers from the database)
            )
            cursor.execute("ANALYZE")
    return service_ids[0], start + count // 2


def bench_admin(ctx) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    count = ctx.size("BENCH_COMPLAINTS", 50_000)
    service_id, middle = _seed_complaints(ctx, count)
    User = get_user_model()
    agent = User.objects.create(
        username="bench-agent", email="agent@bench.example", is_staff=True, password=PASSWORD_HASH
    )
    agent.groups.add(Group.objects.get(name="agent"))
    session = _sessions([agent])[agent.pk]
    from django.conf import settings

    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    pages = {
        "default page": "/admin/complaints/complaint/",
        "filtered page": "/admin/complaints/complaint/?"
        + urlencode({"status__exact": "in_progress", "service__id__exact": service_id, "sla": "breached"}),
        "reference search": f"/admin/complaints/complaint/?q=C-2025-{middle:06d}",
    }
    queries = {}
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    with override_settings(ADMIN_REQUIRE_OTP=False, SECURE_SSL_REDIRECT=False):
        for name, path in pages.items():
            client.get(path)  # warm the filter choices cache
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            queries[name] = len(captured.captured_queries)
    with ctx.server(extra_env={"ADMIN_REQUIRE_OTP": "false"}) as base_url:
        for name, path in pages.items():
            _probe(base_url, ("GET", path, headers, None), expect="")
            result = ctx.http_load(url=f"{base_url}{path}", headers=headers, concurrency=4, duration=5)
            ok = set(result.status_counts) == {"200"}
            ctx.record(
                f"admin changelist {name} ({count:,} complaints) p95",
                result.p95_ms if ok else None,
                "ms",
                goal="<= 300",
                note=f"{queries[name]} queries (goal <= 10); {result.rps:.0f} req/s at 4 conns; "
                f"server CPU {result.server_cpu_ms or 0:.0f} ms/page; statuses {result.status_counts}",
            )


def run(ctx) -> None:
    bench_filing(ctx)
    bench_admin(ctx)
