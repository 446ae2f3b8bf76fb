"""Complaints by API: filing (once per submission token), the business's own view, staff triage."""

import datetime as dt
import uuid

from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from tests.factories import ContactFactory, UserFactory

from .conftest import RoleClient
from .scenario import build


def file_body(world, **extra):
    return {
        "subscription": world.subscription_a.pk,
        "category": "no_dial_tone",
        "since": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "description": "None of our lines has a dial tone.",
        **extra,
    }


def test_filing_twice_with_one_token_files_once(world, django_capture_on_commit_callbacks):
    token = str(uuid.uuid4())
    client = world.client("contact_a")

    first = client.post("/api/complaints/", file_body(world, submission_token=token), format="json")
    second = client.post("/api/complaints/", file_body(world, submission_token=token), format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["reference"] == second.json()["reference"]
    complaint = Complaint.objects.get()
    assert (complaint.business, complaint.contact, complaint.status) == (world.business_a, world.contact_a, "new")
    assert [e["kind"] for e in first.json()["events"]] == ["filed"]


def test_filing_is_linked_to_the_declared_incident(world):
    built = build(world)

    response = world.client("contact_a").post("/api/complaints/", file_body(world), format="json")

    assert response.status_code == 201
    assert response.json()["incident"] in (built.incident.pk, built.suspected.pk)


def test_filing_on_another_business_subscription_changes_nothing(world):
    response = world.client("contact_b").post("/api/complaints/", file_body(world), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"subscription": ["Choose one of your business's services."]}
    assert Complaint.objects.count() == 0


def test_filing_in_the_future_is_refused(world):
    body = file_body(world, since=(timezone.now() + dt.timedelta(days=1)).isoformat())

    response = world.client("contact_a").post("/api/complaints/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["since"]


def test_filing_rate_limit_is_429(world, settings):
    settings.COMPLAINTS_RATE_PER_BUSINESS = 1
    client = world.client("contact_a")

    statuses = [client.post("/api/complaints/", file_body(world), format="json").status_code for _ in range(2)]

    assert statuses == [201, 429]
    assert Complaint.objects.count() == 1


def test_a_contact_who_is_not_business_admin_sees_only_their_own(world):
    built = build(world)
    colleague = ContactFactory(business=world.business_a, user=UserFactory(username="carol"), is_business_admin=False)
    from tracker.api.services import api_token_create

    _row, secret = api_token_create(user=colleague.user, name="carol")
    client = RoleClient(secret)

    assert client.get("/api/complaints/").json()["results"] == []
    assert client.get(f"/api/complaints/{built.complaint.reference}/").status_code == 404
    admin_view = world.client("contact_a").get("/api/complaints/").json()["results"]
    assert {c["reference"] for c in admin_view} == {
        built.complaint.reference,
        built.primary.reference,
        built.duplicate.reference,
    }


def test_customers_never_see_internal_notes_or_staff_fields(world):
    built = build(world)
    world.client("agent").post(f"/api/complaints/{built.complaint.reference}/note/", {"body": "Secret"}, format="json")

    customer = world.client("contact_a").get(f"/api/complaints/{built.complaint.reference}/").json()
    staff = world.client("agent").get(f"/api/complaints/{built.complaint.reference}/").json()

    assert "Secret" not in str(customer)
    assert "assignee" not in customer
    assert [e["kind"] for e in staff["events"]] == ["filed", "note"]
    assert [e["kind"] for e in customer["events"]] == ["filed"]


def test_triage_actions_call_the_services(world):
    built = build(world)
    ref = built.complaint.reference
    agent = world.client("agent")

    assert (
        agent.post(f"/api/complaints/{ref}/assign/", {"assignee": "agent"}, format="json").json()["assignee"] == "agent"
    )
    assert (
        agent.post(f"/api/complaints/{ref}/priority/", {"priority": "urgent"}, format="json").json()["priority"]
        == "urgent"
    )
    linked = agent.post(f"/api/complaints/{ref}/link/", {"incident": built.suspected.pk}, format="json").json()
    assert linked["incident"] == built.suspected.pk
    moved = agent.post(f"/api/complaints/{ref}/transition/", {"to_status": "in_progress"}, format="json").json()
    assert moved["status"] == "in_progress"
    merged = agent.post(f"/api/complaints/{ref}/merge/", {"primary": built.primary.reference}, format="json").json()
    assert (merged["status"], merged["duplicate_of"]) == ("duplicate", built.primary.reference)
    unmerged = agent.post(f"/api/complaints/{ref}/unmerge/", {}, format="json").json()
    assert (unmerged["status"], unmerged["duplicate_of"]) == ("in_progress", None)
    reply = agent.post(f"/api/complaints/{ref}/reply/", {"body": "Fixed."}, format="json")
    assert (reply.status_code, reply.json()["kind"], reply.json()["by"]) == (201, "reply", "staff")
    kinds = list(ComplaintEvent.objects.filter(complaint=built.complaint).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "filed",
        "assigned",
        "priority",
        "linked",
        "status",
        "status",
        "merged",
        "status",
        "unmerged",
        "reply",
    ]


def test_a_refused_transition_changes_nothing(world):
    built = build(world)
    before = ComplaintEvent.objects.count()

    response = world.client("agent").post(
        f"/api/complaints/{built.complaint.reference}/transition/", {"to_status": "rejected"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"non_field_errors": ["Give a reason for rejecting the complaint."]}
    built.complaint.refresh_from_db()
    assert built.complaint.status == "new"
    assert ComplaintEvent.objects.count() == before


def test_staff_filters_and_search(world):
    built = build(world)
    agent = world.client("agent")

    by_status = agent.get("/api/complaints/?status=duplicate").json()["results"]
    by_reference = agent.get(f"/api/complaints/?search={built.primary.reference}").json()["results"]
    other_business = agent.get("/api/complaints/?business=CU-B").json()["results"]

    assert [c["reference"] for c in by_status] == [built.duplicate.reference]
    assert [c["reference"] for c in by_reference] == [built.primary.reference]
    assert other_business == []


def test_cursor_pages_walk_the_whole_list(world):
    build(world)
    agent = world.client("agent")

    first = agent.get("/api/complaints/?page_size=2").json()
    second = agent.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert second["next"] is None
    seen = [c["id"] for c in first["results"] + second["results"]]
    assert seen == sorted(seen, reverse=True)


def test_list_rows_are_the_detail_without_history_in_the_request_language(world):
    # The list has its own, lighter query and cached serializer fields: rows must still show what the detail shows.
    built = build(world)
    world.client("agent").post(
        f"/api/complaints/{built.complaint.reference}/assign/", {"assignee": "agent"}, format="json"
    )

    for role in ("agent", "contact_a"):
        client = world.client(role)
        labels = []
        for language in ("de", "en", "de"):
            rows = client.get("/api/complaints/", HTTP_ACCEPT_LANGUAGE=language).json()["results"]
            assert len(rows) == 3
            for row in rows:
                detail = client.get(f"/api/complaints/{row['reference']}/", HTTP_ACCEPT_LANGUAGE=language).json()
                assert row == {key: value for key, value in detail.items() if key not in ("events", "files")}
            labels.append(sorted(row["status_label"] for row in rows))
        assert labels[0] == labels[2] != labels[1]
    staff_rows = world.client("agent").get("/api/complaints/").json()["results"]
    assert {row["assignee"] for row in staff_rows} == {"agent", None}
    assert {row["duplicate_of"] for row in staff_rows} == {built.primary.reference, None}


def test_filter_errors_are_in_the_request_language(world):
    # The filter form class is built once per language: each language keeps its own messages.
    agent = world.client("agent")

    messages = [
        agent.get("/api/complaints/?status=bogus", HTTP_ACCEPT_LANGUAGE=language).json()["error"]["details"]["status"]
        for language in ("de", "en", "de")
    ]

    assert messages[0] == messages[2] != messages[1]
