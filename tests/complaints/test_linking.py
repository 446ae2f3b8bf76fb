"""Link proposals: declaring or widening an incident proposes the matching open complaints;
an agent confirms (they are linked, their authors hear the incident) or dismisses."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import linking
from complaints.models import Complaint, ComplaintEvent, LinkProposal, Status
from tests.complaints.factories import ComplaintFactory, ComplaintSpikeFactory, IncidentFactory
from tests.factories import (
    BusinessFactory,
    ContactFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
    UserFactory,
)
from tracker.incidents import services as incidents
from tracker.incidents.selectors import incident_audience
from tracker.notifications.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    service = ServiceFactory(name="Business phone")
    return service, RegionFactory(name="Vaud"), RegionFactory(name="Geneva")


def _declare(capture, *, service, regions, notify=False, started_at=None):
    with capture(execute=True):
        return incidents.incident_declare(
            title="Phone outage",
            services=[service],
            regions=regions,
            started_at=started_at or timezone.now() - timedelta(hours=3),
            message="We are investigating.",
            language="en",
            notify=notify,
        )


def _complaint(service, region, **fields):
    return ComplaintFactory(service=service, region=region, **fields)


def _proposed(proposal):
    return set(proposal.items.values_list("complaint_id", flat=True))


def test_declaring_proposes_exactly_the_open_unlinked_complaints_of_its_scope(
    place, django_capture_on_commit_callbacks
):
    # given open complaints of the service and region, and others that must not be proposed
    service, vaud, geneva = place
    new = _complaint(service, vaud)
    triaged = _complaint(service, vaud, status=Status.TRIAGED)
    _complaint(ServiceFactory(), vaud)  # other service
    _complaint(service, geneva)  # other region
    _complaint(service, vaud, status=Status.RESOLVED, closed_at=timezone.now())  # closed
    _complaint(service, vaud, incident=IncidentFactory())  # already linked to another incident
    _complaint(service, vaud, since=timezone.now() - timedelta(days=4))  # trouble long before the outage

    # when the incident is declared
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])

    # then one pending proposal with exactly the two matching complaints, nothing linked yet
    proposal = LinkProposal.objects.get(incident=incident)
    assert (proposal.reason, proposal.state, proposal.complaint_count) == ("declared", "pending", 2)
    assert _proposed(proposal) == {new.pk, triaged.pk}
    assert (proposal.service_ids, proposal.region_ids) == ([service.pk], [vaud.pk])
    assert Complaint.objects.filter(incident=incident).count() == 0


def test_declaring_with_nothing_matching_proposes_nothing(place, django_capture_on_commit_callbacks):
    service, vaud, _geneva = place
    _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    assert LinkProposal.objects.count() == 0


def test_widening_proposes_the_new_scope_only(place, django_capture_on_commit_callbacks):
    # given a declared incident in Vaud and its proposal
    service, vaud, geneva = place
    in_vaud = _complaint(service, vaud)
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    first = LinkProposal.objects.get()
    later_in_vaud = _complaint(service, vaud)
    in_geneva = _complaint(service, geneva)
    other_phone = ServiceFactory(name="Mobile")
    mobile_in_vaud = _complaint(other_phone, vaud)

    # when the incident is widened to Geneva (a correction)
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_correct(incident=incident, changes={"regions": [vaud, geneva]}, notify=False)

    # then a second proposal holds Geneva's complaint only
    widened = LinkProposal.objects.exclude(pk=first.pk).get()
    assert widened.reason == "widened"
    assert _proposed(widened) == {in_geneva.pk}
    assert _proposed(first) == {in_vaud.pk}

    # and widening to another service proposes that service's complaints in every region
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_correct(incident=incident, changes={"services": [service, other_phone]}, notify=False)
    third = LinkProposal.objects.order_by("-id").first()
    assert _proposed(third) == {mobile_in_vaud.pk}
    assert later_in_vaud.pk not in _proposed(third)


def test_a_suspected_incident_proposes_when_it_is_declared_not_before(place, django_capture_on_commit_callbacks):
    service, vaud, _geneva = place
    complaint = _complaint(service, vaud)
    with django_capture_on_commit_callbacks(execute=True):
        suspected = incidents.incident_suspect(
            title="Maybe", services=[service], regions=[vaud], started_at=timezone.now() - timedelta(hours=3)
        )
    assert LinkProposal.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_update_publish(
            incident=suspected, status="investigating", message="Confirmed.", language="en", notify=False
        )
    assert _proposed(LinkProposal.objects.get(incident=suspected)) == {complaint.pk}


def test_confirming_links_records_events_and_the_next_update_reaches_each_complainer_once(
    place, agent, django_capture_on_commit_callbacks, mailoutbox
):
    # given a business subscribed in Vaud, one of whose contacts complained too,
    # and a complainer whose business has no subscription the incident affects
    service, vaud, _geneva = place
    subscribed = BusinessFactory()
    SubscriptionFactory(business=subscribed, service=service, region=vaud)
    subscriber = ContactFactory(business=subscribed)
    outsider_business = BusinessFactory()
    outsider = ContactFactory(business=outsider_business)
    ContactFactory(business=outsider_business)  # a colleague who did not complain: not told
    both = _complaint(service, vaud, business=subscribed, contact=subscriber)
    outside = _complaint(service, vaud, business=outsider_business, contact=outsider)
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    proposal = LinkProposal.objects.get(incident=incident)
    assert outsider not in incident_audience(incident=incident)

    # when the agent confirms
    linked = linking.link_proposal_confirm(proposal_id=proposal.pk, actor=agent)

    # then both are linked, each with its history row, and the decision is recorded
    assert linked == 2
    assert set(Complaint.objects.filter(incident=incident).values_list("pk", flat=True)) == {both.pk, outside.pk}
    events = ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.LINKED, complaint__in=[both, outside])
    assert sorted((e.complaint_id, e.actor_id, e.data["to"], e.data["reason"], e.is_public) for e in events) == sorted(
        [(both.pk, agent.pk, incident.pk, "proposal", True), (outside.pk, agent.pk, incident.pk, "proposal", True)]
    )
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by, proposal.linked_count) == ("confirmed", agent, 2)
    assert proposal.decided_at is not None

    # when the next update is published
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = incidents.incident_update_publish(
            incident=incident, status="identified", message="Cable cut found.", language="en"
        )

    # then the subscriber and the outside complainer each get it once, on e-mail
    deliveries = Counter(Delivery.objects.filter(job=update.notification_job_id).values_list("contact_id", "channel"))
    assert deliveries == Counter({(subscriber.pk, "email"): 1, (outsider.pk, "email"): 1})
    assert sorted(m.to[0] for m in mailoutbox) == sorted([subscriber.email, outsider.email])


def test_the_audience_with_the_extension_is_still_one_query(place, django_capture_on_commit_callbacks, agent):
    service, vaud, _geneva = place
    for _ in range(3):
        _complaint(service, vaud)
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    linking.link_proposal_confirm(proposal_id=LinkProposal.objects.get().pk, actor=agent)
    with CaptureQueriesContext(connection) as ctx:
        contacts = list(incident_audience(incident=incident))
    assert len(ctx.captured_queries) == 1
    assert len(contacts) == len({c.pk for c in contacts}) == 3


def test_dismissing_links_nothing(place, agent, django_capture_on_commit_callbacks):
    service, vaud, _geneva = place
    complaint = _complaint(service, vaud)
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    proposal = LinkProposal.objects.get()

    linking.link_proposal_dismiss(proposal_id=proposal.pk, actor=agent)

    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by, proposal.linked_count) == ("dismissed", agent, None)
    complaint.refresh_from_db()
    assert complaint.incident_id is None
    assert not ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.LINKED).exists()
    assert incident.complaints.count() == 0
    # and a decided proposal cannot be confirmed afterwards
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        linking.link_proposal_confirm(proposal_id=proposal.pk, actor=agent)
    complaint.refresh_from_db()
    assert complaint.incident_id is None


def test_confirming_skips_complaints_closed_or_linked_since_the_proposal(
    place, agent, django_capture_on_commit_callbacks
):
    service, vaud, _geneva = place
    still_open = _complaint(service, vaud)
    closed_since = _complaint(service, vaud)
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    Complaint.objects.filter(pk=closed_since.pk).update(status=Status.RESOLVED)

    assert linking.link_proposal_confirm(proposal_id=LinkProposal.objects.get().pk, actor=agent) == 1
    assert list(incident.complaints.values_list("pk", flat=True)) == [still_open.pk]


def test_without_the_complaint_change_permission_nobody_can_confirm(place, client, django_capture_on_commit_callbacks):
    # given a staff member who may view proposals but not change complaints
    from django.contrib.auth.models import Permission

    service, vaud, _geneva = place
    complaint = _complaint(service, vaud)
    _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    proposal = LinkProposal.objects.get()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_linkproposal"))

    # when they confirm, through the service or the admin page
    with pytest.raises(PermissionDenied):
        linking.link_proposal_confirm(proposal_id=proposal.pk, actor=viewer)
    client.force_login(viewer)
    url = reverse("admin:complaints_linkproposal_change", args=[proposal.pk])
    page = client.get(url)
    response = client.post(url, {"confirm": "1"})

    # then nothing changed, and the page offered no buttons
    assert page.status_code == 200 and b'name="confirm"' not in page.content
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by_id) == ("pending", None)
    complaint.refresh_from_db()
    assert complaint.incident_id is None
    assert not ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.LINKED).exists()


def test_an_agent_confirms_from_the_review_page(place, client, agent, django_capture_on_commit_callbacks):
    service, vaud, _geneva = place
    complaint = _complaint(service, vaud)
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    proposal = LinkProposal.objects.get()
    client.force_login(agent)
    url = reverse("admin:complaints_linkproposal_change", args=[proposal.pk])

    page = client.get(url)
    assert complaint.reference.encode() in page.content and b'name="confirm"' in page.content
    response = client.post(url, {"confirm": "1"})

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.incident_id == incident.pk
    # reachable from the incident's admin page
    incident_page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert (
        f"{reverse('admin:complaints_linkproposal_changelist')}?incident={incident.pk}"
        in incident_page.content.decode()
    )
    listed = client.get(reverse("admin:complaints_linkproposal_changelist") + f"?incident={incident.pk}")
    assert [p.pk for p in listed.context["cl"].result_list] == [proposal.pk]


def _review_queries(client, proposal):
    url = reverse("admin:complaints_linkproposal_change", args=[proposal.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries], len(response.context["items"])


@pytest.mark.parametrize("n", [10, 20])
def test_review_page_queries_are_the_same_at_n_and_2n_and_count_nothing(
    n, place, client, agent, django_capture_on_commit_callbacks
):
    service, vaud, _geneva = place
    for _ in range(n):
        _complaint(service, vaud)
    _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    # an unrelated proposal elsewhere, so the page must read its own set
    other_service = ServiceFactory()
    _complaint(other_service, vaud)
    _declare(django_capture_on_commit_callbacks, service=other_service, regions=[vaud])
    client.force_login(agent)

    total, sqls, shown = _review_queries(client, LinkProposal.objects.get(service_ids=[service.pk]))

    assert shown == n
    assert not [sql for sql in sqls if "COUNT(" in sql.upper()]
    assert total == REVIEW_QUERIES


# Session, permissions, the proposal with its incident, one page of complaints joined (the user is cached).
REVIEW_QUERIES = 4


def test_review_page_is_paginated_without_counting(place, client, agent, django_capture_on_commit_callbacks):
    service, vaud, _geneva = place
    ComplaintFactory.create_batch(linking.REVIEW_PAGE_SIZE + 3, service=service, region=vaud)
    _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    proposal = LinkProposal.objects.get()
    client.force_login(agent)
    url = reverse("admin:complaints_linkproposal_change", args=[proposal.pk])

    first, second = client.get(url), client.get(url + "?p=2")

    assert len(first.context["items"]) == linking.REVIEW_PAGE_SIZE
    assert len(second.context["items"]) == 3
    shown = {i.complaint_id for i in first.context["items"]} | {i.complaint_id for i in second.context["items"]}
    assert shown == _proposed(proposal)


def test_admin_index_shows_the_spike_and_the_proposal_banners(place, client, agent, django_capture_on_commit_callbacks):
    service, vaud, _geneva = place
    ComplaintSpikeFactory(service=service, region=vaud, businesses=42)
    ComplaintSpikeFactory(acknowledged_at=timezone.now(), businesses=77)  # acknowledged: no banner
    for _ in range(3):
        _complaint(service, vaud)
    incident = _declare(django_capture_on_commit_callbacks, service=service, regions=[vaud])
    proposal = LinkProposal.objects.get()
    client.force_login(agent)

    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("admin:index"))

    html = page.content.decode()
    assert f"Complaint spike: 42 businesses about Business phone in {vaud}." in html
    assert "77 businesses" not in html
    assert f"3 open complaints match incident {incident.title}." in html
    assert reverse("admin:complaints_linkproposal_change", args=[proposal.pk]) in html
    banner_queries = [
        q
        for q in ctx.captured_queries
        if "complaints_complaintspike" in q["sql"] or "complaints_linkproposal" in q["sql"]
    ]
    assert len(banner_queries) == 2
    spikes_url = reverse("admin:complaints_complaintspike_changelist") + "?acknowledged_at__isempty=1"
    assert spikes_url in html
    assert [s.businesses for s in client.get(spikes_url).context["cl"].result_list] == [42]

    # once decided, the proposal's banner goes
    linking.link_proposal_dismiss(proposal_id=proposal.pk, actor=agent)
    assert "open complaints match incident" not in client.get(reverse("admin:index")).content.decode()


def test_admin_index_shows_no_banner_to_staff_without_the_permissions(place, client):
    ComplaintSpikeFactory(businesses=42)
    client.force_login(UserFactory(is_staff=True))
    assert "Complaint spike" not in client.get(reverse("admin:index")).content.decode()
