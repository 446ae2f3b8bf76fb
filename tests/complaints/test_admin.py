import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.urls import reverse

from complaints.models import Complaint, ComplaintEvent, Status
from tests.complaints.factories import ComplaintFactory, IncidentFactory
from tests.factories import UserFactory
from tracker.notifications.models import NotificationJob

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:complaints_complaint_changelist")


def test_changelist_queries_are_the_same_at_n_and_2n_and_never_count_everything(client, agent):
    from django.test.utils import CaptureQueriesContext

    incident = IncidentFactory()
    client.force_login(agent)

    def measure(rows, query=""):
        ComplaintFactory.create_batch(rows, incident=incident, assignee=agent)
        client.get(CHANGELIST + query)  # fills the cached filter choices
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(CHANGELIST + query)
        assert response.status_code == 200
        own = [q["sql"] for q in ctx.captured_queries if '"complaints_complaint"' in q["sql"]]
        return len(ctx.captured_queries), own, len(response.context["cl"].result_list)

    total_n, own_n, shown_n = measure(10)
    total_2n, own_2n, shown_2n = measure(10)

    assert (shown_n, shown_2n) == (10, 20)
    assert total_n == total_2n
    assert len(own_n) == len(own_2n)
    assert total_2n <= 10
    # A count capped at 2,000 rows and one page with business, service, region, assignee and incident joined.
    counts = [sql for sql in own_2n if sql.startswith("SELECT COUNT(*)")]
    pages = [sql for sql in own_2n if not sql.startswith("SELECT COUNT(*)")]
    assert len(counts) == 1 and "LIMIT 2000" in counts[0]
    assert len(pages) == 1
    for table in ("customers_business", "customers_service", "customers_region", "accounts_user", "incidents_incident"):
        assert f'"{table}"' in pages[0]


def test_filters_and_queues(client, agent):
    incident = IncidentFactory()
    unassigned = ComplaintFactory(incident=incident)
    assigned = ComplaintFactory(assignee=agent, status=Status.IN_PROGRESS, loss_amount=10, has_loss=True)
    breached = ComplaintFactory(sla_breached=True, assignee=agent)
    client.force_login(agent)

    def refs(query):
        return {c.reference for c in client.get(CHANGELIST + query).context["cl"].result_list}

    assert refs("?queue=unassigned") == {unassigned.reference}
    assert refs("?queue=open_incident") == {unassigned.reference}
    assert refs("?status__exact=in_progress") == {assigned.reference}
    assert refs("?sla=breached") == {breached.reference}
    assert refs("?has_loss__exact=1") == {assigned.reference}
    assert refs(f"?incident__id__exact={incident.pk}") == {unassigned.reference}
    assert refs("?assignee__id__exact=me") == {assigned.reference, breached.reference}


def test_search_by_reference_customer_number_and_company(client, agent):
    one = ComplaintFactory(business__company_name="Boulangerie Dupont SA")
    other = ComplaintFactory()
    client.force_login(agent)

    def refs(q):
        return {c.reference for c in client.get(CHANGELIST, {"q": q}).context["cl"].result_list}

    assert refs(one.reference) == {one.reference}
    assert refs(one.reference.lower()) == {one.reference}
    assert refs(other.business.customer_number) == {other.reference}
    assert refs("Boulangerie") == {one.reference}
    assert refs("nothing-like-this") == set()


def test_bulk_status_change_with_canned_reply_goes_through_workflow(client, agent):
    ok = ComplaintFactory()
    closed = ComplaintFactory(status=Status.REJECTED, closed_at="2020-01-01T00:00:00Z")
    client.force_login(agent)

    response = client.post(
        CHANGELIST,
        {
            "action": "change_status",
            ACTION_CHECKBOX_NAME: [ok.pk, closed.pk],
            "apply": "1",
            "to_status": "in_progress",
            "canned": "investigating",
            "public_reply": "",
            "reason": "",
        },
    )

    assert response.status_code == 302
    ok.refresh_from_db()
    closed.refresh_from_db()
    assert ok.status == Status.IN_PROGRESS
    assert closed.status == Status.REJECTED
    event = ok.events.get()
    assert (event.actor, event.data["canned"]) == (agent, "investigating")
    assert NotificationJob.objects.filter(params__event_id=event.pk).count() == 1


def test_bulk_action_first_shows_a_form(client, agent):
    complaint = ComplaintFactory()
    client.force_login(agent)
    response = client.post(CHANGELIST, {"action": "link_to_incident", ACTION_CHECKBOX_NAME: [complaint.pk]})
    assert response.status_code == 200
    assert complaint.reference in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.incident_id is None


def test_bulk_assign_priority_link_and_merge(client, agent):
    primary = ComplaintFactory()
    dupes = ComplaintFactory.create_batch(2, business=primary.business, subscription__business=primary.business)
    incident = IncidentFactory()
    client.force_login(agent)
    ids = [c.pk for c in dupes]

    client.post(CHANGELIST, {"action": "assign", ACTION_CHECKBOX_NAME: ids, "apply": "1", "assignee": agent.pk})
    client.post(CHANGELIST, {"action": "set_priority", ACTION_CHECKBOX_NAME: ids, "apply": "1", "priority": "high"})
    client.post(
        CHANGELIST, {"action": "link_to_incident", ACTION_CHECKBOX_NAME: ids, "apply": "1", "incident": incident.pk}
    )
    client.post(
        CHANGELIST, {"action": "mark_duplicate", ACTION_CHECKBOX_NAME: ids, "apply": "1", "primary": primary.reference}
    )

    for complaint in Complaint.objects.filter(pk__in=ids):
        assert (
            complaint.assignee,
            complaint.priority,
            complaint.incident,
            complaint.status,
            complaint.duplicate_of,
        ) == (
            agent,
            "high",
            incident,
            Status.DUPLICATE,
            primary,
        )
        kinds = list(complaint.events.values_list("kind", flat=True))
        assert kinds == ["assigned", "priority", "linked", "status", "merged"]

    client.post(CHANGELIST, {"action": "unmerge", ACTION_CHECKBOX_NAME: ids})
    assert set(Complaint.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.NEW}


def test_change_page_shows_timeline_and_accepts_reply_and_note(client, agent):
    complaint = ComplaintFactory()
    client.force_login(agent)
    act = reverse("admin:complaints_complaint_act", args=[complaint.pk])

    client.post(act, {"what": "reply", "body": "We are on it", "canned": ""})
    client.post(act, {"what": "note", "body": "Check the MX"})
    client.post(act, {"what": "status", "to_status": "rejected", "reason": "", "canned": "", "public_reply": ""})
    response = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "We are on it" in body and "Check the MX" in body
    assert list(complaint.events.values_list("kind", "is_public")) == [("reply", True), ("note", False)]
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW  # rejecting without a reason was refused


def test_roles_cannot_delete_or_edit_history(client, agent, manager):
    complaint = ComplaintFactory()
    client.force_login(agent)
    client.post(reverse("admin:complaints_complaint_act", args=[complaint.pk]), {"what": "note", "body": "n"})
    event = ComplaintEvent.objects.get()
    for user in (agent, manager):
        client.force_login(user)
        assert client.get(reverse("admin:complaints_complaint_changelist")).status_code == 200
        assert (
            client.post(reverse("admin:complaints_complaint_delete", args=[complaint.pk]), {"post": "yes"}).status_code
            == 403
        )
        assert (
            client.post(reverse("admin:complaints_complaintevent_delete", args=[event.pk]), {"post": "yes"}).status_code
            == 403
        )
        response = client.post(reverse("admin:complaints_complaintevent_change", args=[event.pk]), {"body": "changed"})
        assert response.status_code in (200, 403)
    assert Complaint.objects.filter(pk=complaint.pk).exists()
    assert ComplaintEvent.objects.get().body == "n"


def test_non_staff_and_staff_without_role_cannot_triage(client):
    complaint = ComplaintFactory()
    act = reverse("admin:complaints_complaint_act", args=[complaint.pk])
    client.force_login(UserFactory())
    assert client.get(CHANGELIST).status_code == 302
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403
    assert client.post(act, {"what": "note", "body": "x"}).status_code == 403
    assert complaint.events.count() == 0


@pytest.mark.parametrize("language", ["en", "fr"])
def test_row_checkbox_is_the_html_django_renders(language):
    from django.contrib import admin
    from django.utils import translation

    from complaints.admin import ComplaintAdmin

    complaint = Complaint(pk=123, reference='C-2026-000123"<x>')
    model_admin = ComplaintAdmin(Complaint, admin.site)

    with translation.override(language):
        ours = model_admin.action_checkbox(complaint)
        djangos = admin.ModelAdmin.action_checkbox(model_admin, complaint)

    assert ours == djangos
    assert "&lt;x&gt;" in ours
