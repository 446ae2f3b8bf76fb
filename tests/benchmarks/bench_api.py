"""REST API: filtered complaint list pages on a large table.

BENCH_API_COMPLAINTS complaints (default 50,000; BENCH_API_COMPLAINTS=1000000 for the goal's size) spread over
200 businesses, 4 services and 6 statuses. Three pages, each with its own Bearer token, under load from 4
connections: a staff page filtered by status and service, a staff page filtered by business and SLA breach, and a
business admin's own list; then the next page through the cursor. Goal (PostgreSQL, 1,000,000 complaints):
p95 <= 100 ms. Queries per page are counted in-process (Django's test client on the same database).
"""

from __future__ import annotations

from urllib.parse import urlencode

BUSINESSES = 200
SERVICES = ["api-bench-phone", "api-bench-mail", "api-bench-adsl", "api-bench-fibre"]
PASSWORD_HASH = "!"


def _seed(ctx, count: int) -> dict:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from complaints.models import Complaint
    from tracker.api.services import api_token_create
    from tracker.customers.models import Business, Contact, Region, Service, Subscription

    User = get_user_model()
    services = [Service.objects.get_or_create(slug=s, defaults={"name": s})[0] for s in SERVICES]
    region, _ = Region.objects.get_or_create(
        code="CH-APIB", defaults={"name": "API bench", "country": "CH", "kind": "canton"}
    )
    businesses = Business.objects.bulk_create(
        [Business(customer_number=f"APIB-{n:05d}", company_name=f"API bench {n} SA") for n in range(BUSINESSES)]
    )
    for business in businesses[:1]:
        Subscription.objects.create(
            business=business, service=services[0], region=region, site_label="HQ", monthly_fee=Decimal(50)
        )
    agent = User.objects.create(username="api-bench-agent", is_staff=True, password=PASSWORD_HASH)
    agent.groups.add(Group.objects.get_or_create(name="agent")[0])
    customer = User.objects.create(username="api-bench-contact", password=PASSWORD_HASH)
    Contact.objects.create(business=businesses[0], user=customer, is_business_admin=True, email="c@api.bench")

    first_business = businesses[0].pk
    service_ids = [s.pk for s in services]
    start = Complaint.objects.order_by("-id").values_list("id", flat=True).first() or 0
    columns = (
        "reference, submission_token, business_id, service_id, region_id, site_label, category, since, description, "
        "status, priority, created_at, updated_at, sla_breached, has_loss, loss_currency"
    )
    with connection.cursor() as cursor:
        if ctx.is_postgres:
            cursor.execute(
                f"""INSERT INTO complaints_complaint ({columns})
                SELECT 'A-' || lpad((g + {start})::text, 10, '0'), gen_random_uuid(),
                       {first_business} + (g % {BUSINESSES}), (ARRAY{service_ids})[1 + g % 4], {region.pk}, 'Site',
                       'slow', now() - (g || ' seconds')::interval, 'API bench complaint',
                       (ARRAY['new','triaged','in_progress','waiting','resolved','rejected'])[1 + (g / 4) % 6],
                       'normal', now() - (g || ' seconds')::interval, now(), g % 11 = 0, g % 7 = 0, ''
                FROM generate_series(1, {int(count)}) AS g"""  # noqa: S608 (integers)
            )
            cursor.execute("ANALYZE complaints_complaint")
        else:
            cursor.execute(
                f"""WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {int(count)})
                INSERT INTO complaints_complaint ({columns})
                SELECT printf('A-%010d', x + {start}), lower(hex(randomblob(16))),
                       {first_business} + (x % {BUSINESSES}),
                       CASE x % 4 WHEN 0 THEN {service_ids[0]} WHEN 1 THEN {service_ids[1]}
                                  WHEN 2 THEN {service_ids[2]} ELSE {service_ids[3]} END,
                       {region.pk}, 'Site', 'slow', datetime('now', '-' || x || ' seconds'), 'API bench complaint',
                       CASE (x / 4) % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'triaged' WHEN 2 THEN 'in_progress'
                                        WHEN 3 THEN 'waiting' WHEN 4 THEN 'resolved' ELSE 'rejected' END,
                       'normal', datetime('now', '-' || x || ' seconds'), datetime('now'), x % 11 = 0, x % 7 = 0, ''
                FROM g"""  # noqa: S608 (integers)
            )
            cursor.execute("ANALYZE")
    _row, agent_token = api_token_create(user=agent, name="bench")
    _row, contact_token = api_token_create(user=customer, name="bench")
    return {
        "agent": agent_token,
        "contact": contact_token,
        "service": SERVICES[1],
        "business": businesses[7].customer_number,
    }


def _queries(path: str, token: str) -> tuple[int, str | None]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get(path)  # the token's last_used_at is written once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.content[:300]!r}")
    return len(captured.captured_queries), response.json()["next"]


def run(ctx) -> None:
    from django.test import override_settings

    count = ctx.size("BENCH_API_COMPLAINTS", 50_000)
    seeded = _seed(ctx, count)
    pages = {
        "staff, status and service": (
            "/api/complaints/?" + urlencode({"status": "in_progress", "service": seeded["service"]}),
            seeded["agent"],
        ),
        "staff, business and SLA breached": (
            "/api/complaints/?" + urlencode({"business": seeded["business"], "sla_breached": "true"}),
            seeded["agent"],
        ),
        "business admin's own list": ("/api/complaints/", seeded["contact"]),
    }
    measured = {}
    with override_settings(SECURE_SSL_REDIRECT=False, API_THROTTLE_RATES={}):
        for name, (path, token) in list(pages.items()):
            queries, next_url = _queries(path, token)
            measured[name] = queries
            if next_url:
                from urllib.parse import urlsplit

                parts = urlsplit(next_url)
                pages[f"{name}, next page"] = (f"{parts.path}?{parts.query}", token)
                measured[f"{name}, next page"] = _queries(pages[f"{name}, next page"][0], token)[0]
    extra = {
        "API_THROTTLE_ANON": "1000000/minute",
        "API_THROTTLE_USER": "1000000/minute",
        "API_THROTTLE_IP": "1000000/minute",
    }
    with ctx.server(extra_env=extra) as base_url:
        for name, (path, token) in pages.items():
            headers = {"Authorization": f"Bearer {token}"}
            # Warm-up, not measured: every gunicorn worker imports and compiles on its first requests.
            ctx.http_load(url=f"{base_url}{path}", headers=headers, concurrency=4, duration=2)
            result = ctx.http_load(url=f"{base_url}{path}", headers=headers, concurrency=4, duration=5)
            ok = set(result.status_counts) == {"200"}
            ctx.record(
                f"API complaints list, {name} ({count:,} complaints) p95",
                result.p95_ms if ok else None,
                "ms",
                goal="<= 100 (PostgreSQL, 1,000,000 complaints)",
                note=f"{measured[name]} queries; {result.rps:.0f} req/s at 4 conns; p50 {result.p50_ms:.1f} ms; "
                f"server CPU {result.server_cpu_ms or 0:.1f} ms/request; statuses {result.status_counts}",
            )
