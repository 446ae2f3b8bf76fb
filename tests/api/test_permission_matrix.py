"""Every API endpoint x every method x every role, with the status each must get.

The URL patterns under api/ are enumerated from the resolver: an endpoint added
without a row here fails test_every_api_pattern_has_a_row. A method missing from
a row means "405 for everybody" (HEAD: as GET) and is checked too.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from . import scenario
from .conftest import ROLES

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ALL = lambda code: (code,) * 5  # noqa: E731
STAFF_ONLY = lambda ok: (401, 403, 403, ok, ok)  # noqa: E731
MANAGER_ONLY = lambda ok: (401, 403, 403, 403, ok)  # noqa: E731


def _now():
    return timezone.now().isoformat()


class Multipart(dict):
    """A request body sent as multipart/form-data (file uploads) instead of JSON."""


# name -> (url kwargs from (world, scenario), {method: ((anon, contact_a, contact_b, agent, manager), body)})
MATRIX = {
    "schema": (lambda w, s: {}, {"GET": (ALL(200), None)}),
    "docs": (lambda w, s: {}, {"GET": (ALL(200), None)}),
    "incident-list": (
        lambda w, s: {},
        {
            "GET": (ALL(200), None),
            "POST": (
                STAFF_ONLY(201),
                lambda w, s: {
                    "title": "E-mail down",
                    "services": [w.service.slug],
                    "regions": [w.region.code],
                    "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
                    "message": "Mail is not delivered.",
                    "language": "en",
                    "notify": False,
                },
            ),
        },
    ),
    "incident-detail": (lambda w, s: {"pk": s.incident.pk}, {"GET": (ALL(200), None)}),
    "incident-updates": (
        lambda w, s: {"pk": s.incident.pk},
        {"POST": (STAFF_ONLY(201), lambda w, s: {"status": "identified", "message": "Cause found.", "language": "en"})},
    ),
    "incident-corrections": (
        lambda w, s: {"pk": s.incident.pk},
        {"POST": (STAFF_ONLY(201), lambda w, s: {"title": "Business phone down in Vaud", "notify": False})},
    ),
    "incident-resolve": (
        lambda w, s: {"pk": s.incident.pk},
        {
            "POST": (
                STAFF_ONLY(201),
                lambda w, s: {"resolved_at": _now(), "message": "Fixed.", "language": "en", "notify": False},
            )
        },
    ),
    "complaint-list": (
        lambda w, s: {},
        {
            "GET": ((401, 200, 200, 200, 200), None),
            # contact_b may file, but not on business A's subscription: 400, nothing filed.
            "POST": (
                (401, 201, 400, 403, 403),
                lambda w, s: {
                    "subscription": w.subscription_a.pk,
                    "category": "calls_drop",
                    "since": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
                    "description": "Calls drop after a minute.",
                },
            ),
        },
    ),
    "complaint-file-list": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": ((401, 201, 404, 201, 201), lambda w, s: Multipart(files=scenario.png_file()))},
    ),
    "complaint-file-detail": (
        lambda w, s: {"reference": s.complaint.reference, "pk": s.attachment.pk},
        {"GET": ((401, 200, 404, 200, 200), None)},
    ),
    "subscription-list": (lambda w, s: {}, {"GET": ((401, 200, 200, 200, 200), None)}),
    "complaint-detail": (lambda w, s: {"reference": s.complaint.reference}, {"GET": ((401, 200, 404, 200, 200), None)}),
    "complaint-reply": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": ((401, 201, 404, 201, 201), lambda w, s: {"body": "Any news?"})},
    ),
    "complaint-note": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": (STAFF_ONLY(201), lambda w, s: {"body": "Exchange VD-3."})},
    ),
    "complaint-assign": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": (STAFF_ONLY(200), lambda w, s: {"assignee": "agent"})},
    ),
    "complaint-transition": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": (STAFF_ONLY(200), lambda w, s: {"to_status": "triaged"})},
    ),
    "complaint-link": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": (STAFF_ONLY(200), lambda w, s: {"incident": s.suspected.pk})},
    ),
    "complaint-merge": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": (STAFF_ONLY(200), lambda w, s: {"primary": s.primary.reference})},
    ),
    "complaint-unmerge": (
        lambda w, s: {"reference": s.duplicate.reference},
        {"POST": (STAFF_ONLY(200), lambda w, s: {})},
    ),
    "complaint-priority": (
        lambda w, s: {"reference": s.complaint.reference},
        {"POST": (STAFF_ONLY(200), lambda w, s: {"priority": "high"})},
    ),
    "delivery-list": (lambda w, s: {}, {"GET": (STAFF_ONLY(200), None)}),
    "delivery-detail": (lambda w, s: {"pk": s.delivery.pk}, {"GET": (STAFF_ONLY(200), None)}),
    "delivery-retry": (lambda w, s: {"pk": s.delivery.pk}, {"POST": (STAFF_ONLY(200), lambda w, s: {})}),
    "petition-list": (lambda w, s: {}, {"GET": (ALL(200), None)}),
    "petition-detail": (lambda w, s: {"slug": s.petition.slug}, {"GET": (ALL(200), None)}),
    "petition-sign": (
        lambda w, s: {"slug": s.petition.slug},
        {
            "POST": (
                ALL(202),
                lambda w, s: {
                    "name": "Paul",
                    "email": "paul@beta.example",
                    "loss_amount": "20.00",
                    "loss_currency": "CHF",
                },
            )
        },
    ),
    "petition-propose": (
        lambda w, s: {},
        {
            "POST": (
                (401, 201, 201, 403, 403),
                lambda w, s: {"incident": s.incident.pk, "title": "Credit for all", "text": "We lost a day."},
            )
        },
    ),
    "petition-approve": (lambda w, s: {"slug": s.proposed_petition.slug}, {"POST": (STAFF_ONLY(200), None)}),
    "petition-reject": (
        lambda w, s: {"slug": s.proposed_petition.slug},
        {"POST": (STAFF_ONLY(200), lambda w, s: {"reason": "Already covered by another petition."})},
    ),
    "petition-close": (lambda w, s: {"slug": s.petition.slug}, {"POST": (STAFF_ONLY(200), None)}),
    "petition-answer": (
        lambda w, s: {"slug": s.petition.slug},
        {"POST": (MANAGER_ONLY(200), lambda w, s: {"answer": "A credit of one month's fee for everyone."})},
    ),
    "petition-invalidate-signatures": (
        lambda w, s: {"slug": s.petition.slug},
        {"POST": (STAFF_ONLY(201), lambda w, s: {"reason": "Test burst.", "email_domain": "alpha.example"})},
    ),
    "signature-confirm-list": (
        lambda w, s: {},
        {"POST": (ALL(200), lambda w, s: {"token": s.confirm_token})},
    ),
    "signature-list": (lambda w, s: {}, {"GET": (STAFF_ONLY(200), None)}),
    "signature-detail": (lambda w, s: {"pk": s.signature.pk}, {"GET": (STAFF_ONLY(200), None)}),
    "decision-list": (lambda w, s: {}, {"GET": ((401, 200, 200, 200, 200), None)}),
    "decision-detail": (
        lambda w, s: {"pk": s.decision_offered.pk},
        {"GET": ((401, 200, 404, 200, 200), None)},
    ),
    "decision-offer": (
        lambda w, s: {"pk": s.decision_proposed.pk},
        {"POST": (MANAGER_ONLY(200), lambda w, s: {})},
    ),
    "decision-approve": (
        lambda w, s: {"pk": s.decision_awaiting.pk},
        {"POST": (MANAGER_ONLY(200), lambda w, s: {})},
    ),
    "decision-answer": (
        lambda w, s: {"pk": s.decision_offered.pk},
        {"POST": ((401, 200, 404, 403, 403), lambda w, s: {"action": "accept"})},
    ),
    "decision-export": (lambda w, s: {}, {"POST": (MANAGER_ONLY(200), None)}),
    # The scenario's incident has no compensation rule: a manager gets past the permission to the service's 400.
    "decision-propose": (
        lambda w, s: {},
        {"POST": (MANAGER_ONLY(400), lambda w, s: {"incident": s.incident.pk})},
    ),
    "report-figures": (lambda w, s: {}, {"GET": (MANAGER_ONLY(200), None)}),
    "export-list": (
        lambda w, s: {},
        {
            "GET": (MANAGER_ONLY(200), None),
            "POST": (MANAGER_ONLY(202), lambda w, s: {"kind": "complaints", "format": "csv"}),
        },
    ),
    "export-detail": (lambda w, s: {"pk": s.export_job.pk}, {"GET": (MANAGER_ONLY(200), None)}),
    "export-download": (lambda w, s: {"pk": s.export_job.pk}, {"GET": (MANAGER_ONLY(200), None)}),
    # Any other address under /api/: 404 in the error shape, whatever the method.
    "not-found": (lambda w, s: None, {method: (ALL(404), None) for method in METHODS}),
}


def api_pattern_names() -> set[str]:
    names = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                assert pattern.name, f"API pattern {route} has no name"
                names.add(pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_api_pattern_has_a_row():
    names = api_pattern_names()
    assert names - set(MATRIX) == set(), "endpoints without a row in the permission matrix"
    assert set(MATRIX) - names == set(), "rows for endpoints that do not exist"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(world, name):
    built = scenario.build(world)
    kwargs_of, rows = MATRIX[name]
    kwargs = kwargs_of(world, built)
    url = "/api/no-such-endpoint/" if kwargs is None else reverse(f"api:{name}", kwargs=kwargs)
    failures = []
    for method in METHODS:
        # HEAD answers like GET; any method missing from a row is 405 for everybody.
        default = rows.get("GET", (ALL(405), None)) if method == "HEAD" else (ALL(405), None)
        expected, body_of = rows.get(method, default)
        for role, want in zip(ROLES, expected, strict=True):
            body = body_of(world, built) if body_of else None
            with transaction.atomic():
                client = world.client(role)
                body_format = "multipart" if isinstance(body, Multipart) else "json"
                response = getattr(client, method.lower())(url, body, format=body_format)
                transaction.set_rollback(True)
            if response.status_code != want:
                failures.append(
                    f"{method} {url} as {role}: {response.status_code}, expected {want}: {response.content[:300]}"
                )
            if response.status_code >= 400 and method != "HEAD":
                error = response.json()["error"]
                assert set(error) == {"code", "message", "details"}
    assert failures == []
