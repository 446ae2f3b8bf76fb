"""Who may read and change what, role by role, through pages, admin, file downloads and export links.

Roles: anonymous, a plain contact and a business admin of business A, the same of business B,
an agent and a manager (staff, second factor verified). Every page of the site (every URL
pattern outside /api/ and /admin/, enumerated from the resolver) has at least one row: a page
added without a row fails test_every_page_has_a_row. The API has its own matrix
(tests/api/test_permission_matrix.py).

Outcomes: a status code, LOGIN (302 to the customer login), ADMIN_LOGIN (302 to the admin
login), or DONE (302 anywhere else: the page did its work and moved on).
"""

import itertools

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from complaints.models import ComplaintAttachment, ComplaintEvent
from petitions.models import CompensationDecision, Petition
from tracker.incidents.models import IncidentUpdate
from tracker.notifications.models import Delivery, NotificationJob

from . import roles
from .roles import ROLES

pytestmark = pytest.mark.django_db

LOGIN, ADMIN_LOGIN, DONE = "login", "admin-login", "done"


def everyone(outcome):
    return (outcome,) * len(ROLES)


def signed_in(outcome):
    return (LOGIN, *(outcome,) * (len(ROLES) - 1))


def contacts(outcome, *, staff=403):
    return (LOGIN, outcome, outcome, outcome, outcome, staff, staff)


def of_a(outcome, *, other=404, staff=403):
    """Both contacts of business A get `outcome`, business B's `other`, staff `staff`."""
    return (LOGIN, outcome, outcome, other, other, staff, staff)


def manager(outcome, *, others=403):
    return (LOGIN, others, others, others, others, others, outcome)


def admin_page(agent, manager_outcome):
    """Customers never pass the admin's door; staff get what their group allows."""
    return (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, agent, manager_outcome)


NO_TOKEN = "not-a-valid-token"
_serial = itertools.count()


def _decision_answer(w, t):
    return {"action": "accept", "comment": ""}


# (label, url name, url kwargs from (world, things), method, outcome per role in ROLES order, form body)
PAGES = [
    ("home", "home", None, "GET", everyone(200), None),
    ("health", "healthz", None, "GET", everyone(200), None),
    ("set language", "set_language", None, "POST", everyone(DONE), lambda w, t: {"language": "fr", "next": "/"}),
    ("js catalog", "javascript-catalog", None, "GET", everyone(200), None),
    # Public status pages, feeds and the subscription flow: the same for everybody.
    ("status", "incidents:status", None, "GET", everyone(200), None),
    ("history", "incidents:history", None, "GET", everyone(200), None),
    ("incident", "incidents:detail", lambda w, t: {"incident_id": t.base.incident.pk}, "GET", everyone(200), None),
    # A suspected incident is not declared: it is nobody's business outside staff.
    (
        "suspected incident",
        "incidents:detail",
        lambda w, t: {"incident_id": t.base.suspected.pk},
        "GET",
        everyone(404),
        None,
    ),
    ("feed", "incidents:feed", None, "GET", everyone(200), None),
    ("service feed", "incidents:service-feed", lambda w, t: {"slug": w.service.slug}, "GET", everyone(200), None),
    ("status language", "incidents:language", None, "GET", everyone(DONE), lambda w, t: {"language": "de"}),
    ("subscribe", "incidents:subscribe", None, "GET", everyone(200), None),
    ("subscribe sent", "incidents:subscribe-sent", None, "GET", everyone(200), None),
    (
        "subscription confirm",
        "incidents:subscription-confirm",
        lambda w, t: {"token": NO_TOKEN},
        "GET",
        everyone(404),
        None,
    ),
    (
        "subscription cancel",
        "incidents:subscription-cancel",
        lambda w, t: {"token": NO_TOKEN},
        "GET",
        everyone(404),
        None,
    ),
    ("voice", "voice:announcement", lambda w, t: {"token": NO_TOKEN}, "GET", everyone(404), None),
    ("preferences", "notifications:preferences", lambda w, t: {"token": NO_TOKEN}, "GET", everyone(404), None),
    ("unsubscribe", "notifications:unsubscribe", lambda w, t: {"token": NO_TOKEN}, "GET", everyone(404), None),
    # Accounts.
    # Someone signed in is sent on from the login page.
    ("login", "accounts:login", None, "GET", (200, *(DONE,) * (len(ROLES) - 1)), None),
    # The same answer whether or not the address is known (a fresh address each time: it is rate limited).
    (
        "login link request",
        "accounts:login_link_request",
        None,
        "POST",
        everyone(200),
        lambda w, t: {"email": f"nobody-{next(_serial)}@gamma.example"},
    ),
    ("login link", "accounts:login_link", lambda w, t: {"token": NO_TOKEN}, "GET", everyone(400), None),
    ("logout", "accounts:logout", None, "POST", everyone(200), None),
    # Complaints: a plain contact sees their own, a business admin the business's, staff use the admin.
    ("complaint list", "complaints:list", None, "GET", contacts(200), None),
    ("complaint form", "complaints:new", None, "GET", contacts(200), None),
    (
        "complaint of A",
        "complaints:detail",
        lambda w, t: {"reference": t.base.complaint.reference},
        "GET",
        of_a(200),
        None,
    ),
    (
        "reply to A",
        "complaints:detail",
        lambda w, t: {"reference": t.base.complaint.reference},
        "POST",
        of_a(DONE),
        lambda w, t: {"body": "Still no dial tone."},
    ),
    (
        "complaint of A's admin",
        "complaints:detail",
        lambda w, t: {"reference": t.admin_complaint.reference},
        "GET",
        (LOGIN, 404, 200, 404, 404, 403, 403),
        None,
    ),
    (
        "evidence of A",
        "complaints:attachment",
        lambda w, t: {"reference": t.evidence.complaint.reference, "attachment_id": t.evidence.pk},
        "GET",
        of_a(200, staff=200),
        None,
    ),
    (
        "evidence under another reference",
        "complaints:attachment",
        lambda w, t: {"reference": t.admin_complaint.reference, "attachment_id": t.evidence.pk},
        "GET",
        (LOGIN, 404, 404, 404, 404, 404, 404),
        None,
    ),
    # Petitions: public pages, then the compensation portal of each business.
    ("petition list", "petitions:list", None, "GET", everyone(200), None),
    ("petition", "petitions:detail", lambda w, t: {"slug": t.base.petition.slug}, "GET", everyone(200), None),
    ("petition count", "petitions:count", lambda w, t: {"slug": t.base.petition.slug}, "GET", everyone(200), None),
    ("sign", "petitions:sign", lambda w, t: {"slug": t.base.petition.slug}, "GET", everyone(200), None),
    (
        "resend",
        "petitions:resend",
        lambda w, t: {"slug": t.base.petition.slug},
        "POST",
        everyone(DONE),
        lambda w, t: {"email": "nobody@alpha.example"},
    ),
    ("confirm", "petitions:confirm", lambda w, t: {"token": t.base.confirm_token}, "GET", everyone(200), None),
    ("withdraw", "petitions:withdraw", lambda w, t: {"token": NO_TOKEN}, "GET", everyone(400), None),
    # A signer has no account: their evidence goes to staff only.
    (
        "signature evidence",
        "petitions:evidence",
        lambda w, t: {"signature_id": t.evidence_signature.pk},
        "GET",
        (403, 403, 403, 403, 403, 200, 200),
        None,
    ),
    ("propose", "petitions:propose", None, "GET", contacts(200), None),
    ("compensation portal", "petitions:compensation", None, "GET", contacts(200), None),
    (
        "answer A's offer",
        "petitions:compensation-answer",
        lambda w, t: {"decision_id": t.base.decision_offered.pk},
        "POST",
        # Only a business admin settles money for the business.
        (LOGIN, 403, DONE, 404, 404, 403, 403),
        _decision_answer,
    ),
    (
        "answer B's offer",
        "petitions:compensation-answer",
        lambda w, t: {"decision_id": t.decision_b.pk},
        "POST",
        (LOGIN, 404, 404, 403, DONE, 403, 403),
        _decision_answer,
    ),
    # Reports: managers only, and a download link only for the one who asked for the export.
    ("reports", "reports:index", None, "GET", manager(200), None),
    (
        "report of incident",
        "reports:incident",
        lambda w, t: {"incident_id": t.base.incident.pk},
        "GET",
        manager(200),
        None,
    ),
    ("export", "reports:export", lambda w, t: {"kind": "complaints", "fmt": "csv"}, "GET", manager(200), None),
    ("export download", "reports:download", lambda w, t: {"token": t.base.export_job.token}, "GET", manager(200), None),
    ("expired download", "reports:download", lambda w, t: {"token": t.expired_job.token}, "GET", manager(410), None),
    ("unknown download", "reports:download", lambda w, t: {"token": NO_TOKEN}, "GET", manager(404, others=404), None),
    # Account security and personal data.
    ("security", "security:overview", None, "GET", signed_in(200), None),
    ("two-factor setup", "security:otp_setup", None, "GET", signed_in(200), None),
    ("two-factor verify", "security:otp_verify", None, "GET", (LOGIN, DONE, DONE, DONE, DONE, 200, 200), None),
    ("recovery codes", "security:recovery_codes", None, "POST", (LOGIN, DONE, DONE, DONE, DONE, 200, 200), None),
    ("two-factor off", "security:otp_disable", None, "POST", signed_in(DONE), None),
    ("personal data", "security:privacy_export", None, "GET", contacts(200, staff=404), None),
    ("sessions", "security:sessions", None, "GET", signed_in(200), None),
    ("log out other sessions", "security:sessions_logout_others", None, "POST", signed_in(DONE), None),
]

# Signature evidence and export files are never served as media: only through the views above.
FILES = [
    ("signature evidence", lambda w, t: f"/media/{t.evidence_signature.evidence.name}", "GET", everyone(404), None),
    ("complaint evidence", lambda w, t: f"/media/{t.evidence.file.name}", "GET", everyone(404), None),
    ("export file", lambda w, t: f"/media/{t.base.export_job.file_path}", "GET", everyone(404), None),
]


def _admin(model: str, pk_of=None):
    if pk_of is None:
        return lambda w, t: f"/admin/{model}/"
    return lambda w, t: f"/admin/{model}/{pk_of(w, t)}/change/"


ADMIN = [
    ("complaints", _admin("complaints/complaint"), "GET", admin_page(200, 200), None),
    ("complaint", _admin("complaints/complaint", lambda w, t: t.base.complaint.pk), "GET", admin_page(200, 200), None),
    ("signatures", _admin("petitions/signature"), "GET", admin_page(200, 200), None),
    (
        "signature",
        _admin("petitions/signature", lambda w, t: t.evidence_signature.pk),
        "GET",
        admin_page(200, 200),
        None,
    ),
    # Agents see compensation but do not decide it (the decision admin's actions need change/approve).
    ("decisions", _admin("petitions/compensationdecision"), "GET", admin_page(200, 200), None),
    (
        "decision",
        _admin("petitions/compensationdecision", lambda w, t: t.base.decision_offered.pk),
        "GET",
        admin_page(200, 200),
        None,
    ),
    ("deliveries", _admin("notifications/delivery"), "GET", admin_page(200, 200), None),
    ("delivery", _admin("notifications/delivery", lambda w, t: t.base.delivery.pk), "GET", admin_page(200, 200), None),
    ("contacts", _admin("customers/contact"), "GET", admin_page(200, 200), None),
    ("contact", _admin("customers/contact", lambda w, t: w.contact_a.pk), "GET", admin_page(200, 200), None),
    ("export jobs", _admin("reports/exportjob"), "GET", admin_page(403, 200), None),
    ("export job", _admin("reports/exportjob", lambda w, t: t.base.export_job.pk), "GET", admin_page(403, 200), None),
    ("api tokens", _admin("api/apitoken"), "GET", admin_page(403, 200), None),
    ("users", _admin("accounts/user"), "GET", admin_page(403, 403), None),
    # What reaches many people at once: an incident update, a retry of a whole job, a petition's answer.
    (
        "publish incident update",
        lambda w, t: reverse("admin:incidents_incident_publish", args=[t.base.incident.pk]),
        "POST",
        admin_page(DONE, DONE),
        lambda w, t: {"status": "identified", "language": "en", "message": "Cause found.", "notify": "on"},
    ),
    (
        "retry a notification job",
        _admin("notifications/notificationjob"),
        "POST",
        admin_page(DONE, DONE),
        lambda w, t: {"action": "retry_failed", "_selected_action": [t.base.delivery.job_id]},
    ),
    (
        "answer a petition",
        lambda w, t: reverse("admin:petitions_petition_answer", args=[t.base.petition.pk]),
        "POST",
        admin_page(403, DONE),
        lambda w, t: {"answer": "We credit every signer."},
    ),
]


def _page_names() -> set[str]:
    names = set()

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern) and not route.startswith(("api/", "admin/", "bench/")):
                assert pattern.name, f"page {route} has no name"
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_page_has_a_row():
    covered = {name for _label, name, *_rest in PAGES}
    names = _page_names()
    assert names - covered == set(), "pages without a row in the role table"
    assert covered - names == set(), "rows for pages that do not exist"


@pytest.fixture
def world(settings):
    settings.ADMIN_REQUIRE_OTP = True
    settings.COMPLAINTS_RATE_PER_IP = settings.COMPLAINTS_RATE_PER_BUSINESS = 0
    built = roles.build_world()
    return built, roles.build_things(built), roles.log_in_everyone(built)


def _outcome(response) -> int | str:
    if response.status_code != 302:
        return response.status_code
    location = response["Location"]
    if location.startswith(reverse("admin:login")):
        return ADMIN_LOGIN
    if location.startswith(reverse("accounts:login")):
        return LOGIN
    return DONE


def _check(world, url_of, method, expected, body_of) -> list[str]:
    built, things, cookies = world
    url = url_of(built, things)
    failures = []
    for role, want in zip(ROLES, expected, strict=True):
        body = body_of(built, things) if body_of else {}
        with transaction.atomic():
            client = roles.client_as(cookies, role)
            response = getattr(client, method.lower())(url, body)
            transaction.set_rollback(True)
        got = _outcome(response)
        if got != want:
            failures.append(f"{method} {url} as {role}: {got} ({response.status_code}), expected {want}")
    return failures


@pytest.mark.parametrize(
    ("label", "name", "kwargs_of", "method", "expected", "body_of"), PAGES, ids=[r[0] for r in PAGES]
)
def test_pages(world, label, name, kwargs_of, method, expected, body_of):
    def url_of(w, t):
        return reverse(name, kwargs=kwargs_of(w, t) if kwargs_of else None)

    failures = _check(world, url_of, method, expected, body_of)
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(
    ("label", "url_of", "method", "expected", "body_of"), FILES + ADMIN, ids=[r[0] for r in FILES + ADMIN]
)
def test_files_and_admin(world, label, url_of, method, expected, body_of):
    failures = _check(world, url_of, method, expected, body_of)
    assert failures == [], "\n".join(failures)


# --- Changes: a refused write leaves the database as it was ------------------------------


def _snapshot(things):
    base = things.base
    return {
        "events of A's complaint": ComplaintEvent.objects.filter(complaint=base.complaint).count(),
        "events of A's admin complaint": ComplaintEvent.objects.filter(complaint=things.admin_complaint).count(),
        "attachments": ComplaintAttachment.objects.count(),
        "A's offer": CompensationDecision.objects.values_list("status", "answered_by").get(pk=base.decision_offered.pk),
        "B's offer": CompensationDecision.objects.values_list("status", "answered_by").get(pk=things.decision_b.pk),
        "incident updates": IncidentUpdate.objects.filter(incident=base.incident).count(),
        "notification jobs": NotificationJob.objects.count(),
        "deliveries": list(Delivery.objects.order_by("pk").values_list("status", "attempts")),
        "petition": Petition.objects.values_list("status", "answer").get(pk=base.petition.pk),
    }


def _as(world, role):
    _built, _things, cookies = world
    return roles.client_as(cookies, role)


@pytest.mark.parametrize("role", ["contact_b", "admin_b"])
def test_business_b_cannot_reply_to_or_answer_for_business_a(world, role):
    _built, things, _cookies = world
    before = _snapshot(things)
    client = _as(world, role)

    reply = client.post(reverse("complaints:detail", args=[things.base.complaint.reference]), {"body": "Mine now."})
    answer = client.post(
        reverse("petitions:compensation-answer", args=[things.base.decision_offered.pk]), {"action": "accept"}
    )
    evidence = client.get(
        reverse("complaints:attachment", args=[things.evidence.complaint.reference, things.evidence.pk])
    )

    assert (reply.status_code, answer.status_code, evidence.status_code) == (404, 404, 404)
    assert _snapshot(things) == before


def test_plain_contact_cannot_reply_to_a_colleagues_complaint_but_the_business_admin_can(world):
    _built, things, _cookies = world
    url = reverse("complaints:detail", args=[things.admin_complaint.reference])
    before = ComplaintEvent.objects.filter(complaint=things.admin_complaint).count()
    mine = reverse("complaints:detail", args=[things.base.complaint.reference])
    own_before = ComplaintEvent.objects.filter(complaint=things.base.complaint).count()

    refused = _as(world, "contact_a").post(url, {"body": "Not my complaint."})
    assert refused.status_code == 404
    assert ComplaintEvent.objects.filter(complaint=things.admin_complaint).count() == before

    assert _as(world, "admin_a").post(mine, {"body": "Any news?"}).status_code == 302
    assert ComplaintEvent.objects.filter(complaint=things.base.complaint).count() == own_before + 1


def test_only_business_b_answers_its_own_offer(world):
    built, things, _cookies = world
    url = reverse("petitions:compensation-answer", args=[things.decision_b.pk])

    for role in ("contact_a", "admin_a", "agent", "manager"):
        _as(world, role).post(url, {"action": "reject"})
    assert CompensationDecision.objects.get(pk=things.decision_b.pk).status == "offered"

    _as(world, "admin_b").post(url, {"action": "accept"})
    decision = CompensationDecision.objects.get(pk=things.decision_b.pk)
    assert (decision.status, decision.answered_by) == ("accepted", built.admin_b.user)


@pytest.mark.parametrize("role", ["anonymous", "contact_a", "admin_a", "contact_b", "admin_b"])
def test_customers_cannot_reach_anyone_through_the_admin(world, role):
    _built, things, _cookies = world
    before = _snapshot(things)
    client = _as(world, role)

    client.post(
        reverse("admin:incidents_incident_publish", args=[things.base.incident.pk]),
        {"status": "identified", "language": "en", "message": "Hacked.", "notify": "on"},
    )
    client.post(
        "/admin/notifications/notificationjob/",
        {"action": "retry_failed", "_selected_action": [things.base.delivery.job_id]},
    )
    client.post(reverse("admin:petitions_petition_answer", args=[things.base.petition.pk]), {"answer": "Hacked."})

    assert _snapshot(things) == before


def test_agent_cannot_answer_a_petition_nor_offer_compensation(world):
    _built, things, _cookies = world
    before = _snapshot(things)
    agent = _as(world, "agent")

    answer = agent.post(reverse("admin:petitions_petition_answer", args=[things.base.petition.pk]), {"answer": "No."})
    agent.post(
        "/admin/petitions/compensationdecision/",
        {"action": "offer_action", "_selected_action": [things.base.decision_proposed.pk]},
    )

    assert answer.status_code == 403
    assert _snapshot(things) == before
    assert CompensationDecision.objects.get(pk=things.base.decision_proposed.pk).status == "proposed"


def test_manager_answer_reaches_the_signers(world):
    """The positive control of the test above: the same request by a manager does change things."""
    _built, things, _cookies = world

    response = _as(world, "manager").post(
        reverse("admin:petitions_petition_answer", args=[things.base.petition.pk]), {"answer": "We credit you."}
    )

    assert response.status_code == 302
    assert Petition.objects.get(pk=things.base.petition.pk).answer == "We credit you."


@pytest.mark.parametrize("role", ["anonymous", "contact_a", "admin_a", "agent"])
def test_someone_elses_export_link_gives_nothing_and_changes_nothing(world, role):
    _built, things, _cookies = world
    job = things.base.export_job
    url = reverse("reports:download", args=[job.token])

    response = _as(world, role).get(url)

    assert response.status_code in (302, 403)
    assert not getattr(response, "streaming", False)
    assert b"reference" not in response.content
    job.refresh_from_db()
    assert (job.status, job.file_path) == ("done", "exports/matrix-test.csv")


def test_expired_export_link_fails_even_for_its_owner(world):
    _built, things, _cookies = world

    response = _as(world, "manager").get(reverse("reports:download", args=[things.expired_job.token]))

    assert response.status_code == 410
    assert b"C-2" not in response.content


def test_staff_without_a_verified_second_factor_reach_nothing_private(world):
    """The same agent and manager, password only: every private page and file is closed."""
    built, things, _cookies = world
    client = roles.client_as({"nobody": {}}, "nobody")
    for user in (built.agent, built.manager):
        client.cookies.clear()
        client.force_login(user)
        for url in (
            "/admin/",
            "/admin/complaints/complaint/",
            reverse("reports:index"),
            reverse("reports:download", args=[things.base.export_job.token]),
            reverse("complaints:attachment", args=[things.evidence.complaint.reference, things.evidence.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("security:otp_verify")), url


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_staff_retry_of_a_notification_job_does_requeue(world, role):
    """The positive control of the admin rows: a 302 from an admin action alone could mean "no action"."""
    _built, things, _cookies = world
    before = _snapshot(things)["deliveries"]

    _as(world, role).post(
        "/admin/notifications/notificationjob/",
        {"action": "retry_failed", "_selected_action": [things.base.delivery.job_id]},
    )

    assert _snapshot(things)["deliveries"] != before


def test_lists_show_each_role_only_what_is_theirs(world):
    _built, things, _cookies = world
    base = things.base
    filed_by_alice = {base.complaint.reference, base.primary.reference, base.duplicate.reference}
    evidence_ref = things.evidence.complaint.reference

    def complaint_refs(role):
        page = _as(world, role).get(reverse("complaints:list")).context["page"]
        return {complaint.reference for complaint in page.object_list}

    def offers(role):
        return {d.pk for d in _as(world, role).get(reverse("petitions:compensation")).context["decisions"]}

    assert complaint_refs("contact_a") == filed_by_alice | {evidence_ref}
    assert complaint_refs("admin_a") == filed_by_alice | {evidence_ref, things.admin_complaint.reference}
    assert complaint_refs("contact_b") == complaint_refs("admin_b") == set()
    assert offers("contact_a") == offers("admin_a") == {base.decision_offered.pk}
    # B's proposal and the one awaiting approval are not shown before they are offered.
    assert offers("contact_b") == offers("admin_b") == {things.decision_b.pk}


def test_reply_service_refuses_a_colleagues_complaint_whatever_the_caller(world):
    """The rule lives in the service, not only in the pages and the API that call it."""
    from django.core.exceptions import ValidationError

    from complaints.services import complaint_customer_reply

    built, things, _cookies = world
    before = ComplaintEvent.objects.filter(complaint=things.admin_complaint).count()

    with pytest.raises(ValidationError):
        complaint_customer_reply(
            complaint_id=things.admin_complaint.pk, contact=built.contact_a, user=built.contact_a.user, body="Hi."
        )

    assert ComplaintEvent.objects.filter(complaint=things.admin_complaint).count() == before
    complaint_customer_reply(
        complaint_id=things.base.complaint.pk, contact=built.admin_a, user=built.admin_a.user, body="Any news?"
    )
    assert ComplaintEvent.objects.filter(complaint=things.base.complaint, body="Any news?").count() == 1


def test_evidence_service_refuses_a_colleagues_complaint(world):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints.services import complaint_add_evidence

    built, things, _cookies = world
    before = ComplaintAttachment.objects.count()

    def upload():
        return [(SimpleUploadedFile("more.pdf", roles.PDF, content_type="application/pdf"), "application/pdf")]

    with pytest.raises(ValidationError):
        complaint_add_evidence(
            complaint_id=things.admin_complaint.pk, files=upload(), user=built.contact_a.user, contact=built.contact_a
        )
    assert ComplaintAttachment.objects.count() == before

    complaint_add_evidence(
        complaint_id=things.base.complaint.pk, files=upload(), user=built.admin_a.user, contact=built.admin_a
    )
    assert ComplaintAttachment.objects.count() == before + 1


def test_a_colleagues_submission_token_does_not_return_their_complaint(world):
    import uuid

    from django.core.exceptions import ValidationError

    from complaints.services import complaint_file

    built, things, _cookies = world
    token = uuid.uuid4()

    def file(contact):
        return complaint_file(
            contact=contact,
            subscription=built.subscription_a,
            category="no_dial_tone",
            since=things.base.incident.started_at,
            description="Sent twice.",
            submission_token=token,
            user=contact.user,
        )

    first, created = file(built.admin_a)
    assert created

    with pytest.raises(ValidationError):
        file(built.contact_a)
    assert file(built.admin_a) == (first, False)
