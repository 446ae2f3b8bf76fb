"""Incidents by API: public reads hide suspected incidents; staff declare, update, correct, resolve."""

import datetime as dt

from django.utils import timezone

from tracker.incidents.models import Correction, Incident
from tracker.notifications.models import NotificationJob

from .scenario import build


def test_suspected_incidents_are_for_staff_only(world):
    built = build(world)

    public = world.client("anonymous").get("/api/incidents/").json()["results"]
    staff = world.client("agent").get("/api/incidents/").json()["results"]

    assert [i["id"] for i in public] == [built.incident.pk]
    assert {i["id"] for i in staff} == {built.incident.pk, built.suspected.pk}
    assert world.client("anonymous").get(f"/api/incidents/{built.suspected.pk}/").status_code == 404
    assert world.client("agent").get(f"/api/incidents/{built.suspected.pk}/").status_code == 200


def test_declare_publishes_and_creates_one_notification_job(world, django_capture_on_commit_callbacks):
    body = {
        "title": "Business phone down in Vaud",
        "services": ["business-phone"],
        "regions": ["CH-VD"],
        "started_at": (timezone.now() - dt.timedelta(minutes=30)).isoformat(),
        "message": "Calls fail.",
        "language": "en",
        "translations": {"fr": "Les appels échouent."},
        "severity": "critical",
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = world.client("agent").post("/api/incidents/", body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["severity"], data["services"][0]["slug"]) == (
        "investigating",
        "critical",
        "business-phone",
    )
    assert [u["translations"] for u in data["updates"]] == [{"fr": "Les appels échouent."}]
    assert NotificationJob.objects.filter(kind="incident.update").count() == 1
    assert len(callbacks) >= 1


def test_unknown_service_code_is_a_field_error(world):
    response = world.client("agent").post(
        "/api/incidents/",
        {
            "title": "x",
            "services": ["nope"],
            "regions": ["CH-VD"],
            "started_at": timezone.now().isoformat(),
            "message": "m",
            "language": "en",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"services": ["Unknown: nope."]}
    assert Incident.objects.count() == 0


def test_correction_keeps_what_was_shown_before(world):
    built = build(world)

    response = world.client("agent").post(
        f"/api/incidents/{built.incident.pk}/corrections/",
        {"title": "Fixed e-mail down", "notify": False},
        format="json",
    )

    assert response.status_code == 201
    assert [(c["field"], c["previous_value"], c["new_value"]) for c in response.json()] == [
        ("title", "Business phone down", "Fixed e-mail down")
    ]
    assert Correction.objects.count() == 1


def test_resolve_then_filter_open(world):
    built = build(world)

    response = world.client("agent").post(
        f"/api/incidents/{built.incident.pk}/resolve/",
        {"resolved_at": timezone.now().isoformat(), "message": "Fixed.", "language": "en", "notify": False},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "resolved"
    assert world.client("anonymous").get("/api/incidents/?open=true").json()["results"] == []
    closed = world.client("anonymous").get("/api/incidents/?open=false").json()["results"]
    assert [(i["id"], i["restored_percent"]) for i in closed] == [(built.incident.pk, 100)]
