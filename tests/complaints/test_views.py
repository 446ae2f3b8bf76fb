import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintAttachment
from tests.complaints.factories import ComplaintFactory, IncidentFactory
from tests.factories import ContactFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def _post_data(subscription, **overrides):
    data = {
        "submission_token": str(uuid.uuid4()),
        "subscription": subscription.pk,
        "category": "cannot_receive_email",
        "since": (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Since this morning no e-mail reaches us.",
        "loss_amount": "1200.50",
        "loss_currency": "CHF",
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login(client):
    for url in (reverse("complaints:list"), reverse("complaints:new")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_user_without_contact_gets_403(client):
    client.force_login(UserFactory())
    assert client.get(reverse("complaints:new")).status_code == 403


def test_form_shows_known_incidents(client, contact, subscription):
    IncidentFactory(title="Mail platform down", services=[subscription.service], regions=[subscription.region])
    client.force_login(contact.user)

    response = client.get(reverse("complaints:new"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Mail platform down" in body
    assert 'name="submission_token"' in body


def test_filing_with_a_file_creates_one_complaint_even_if_submitted_twice(client, contact, subscription):
    client.force_login(contact.user)
    data = _post_data(subscription)
    upload = SimpleUploadedFile("screenshot.pdf", PDF, content_type="application/pdf")

    first = client.post(reverse("complaints:new"), {**data, "files": [upload]})
    second = client.post(reverse("complaints:new"), data)

    complaint = Complaint.objects.get()
    assert first.status_code == 302
    assert first["Location"] == reverse("complaints:detail", args=[complaint.reference])
    assert second["Location"] == first["Location"]
    assert complaint.contact == contact
    assert str(complaint.loss_amount) == "1200.50"
    assert ComplaintAttachment.objects.filter(complaint=complaint).count() == 1
    page = client.get(first["Location"])
    assert complaint.reference in page.content.decode()
    assert "screenshot.pdf" in page.content.decode()


def test_disguised_file_is_rejected_with_a_message_and_nothing_is_kept(client, contact, subscription):
    client.force_login(contact.user)
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00binary", content_type="application/pdf")

    response = client.post(reverse("complaints:new"), {**_post_data(subscription), "files": [fake]})

    assert response.status_code == 200
    assert "is not a PDF, PNG or JPEG file" in response.content.decode()
    assert Complaint.objects.count() == 0
    assert ComplaintAttachment.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "x" * 5001),
        ("loss_amount", "-5"),
        ("loss_amount", "99999999999"),
        ("since", "not a date"),
        ("category", "explosion"),
        ("submission_token", "nope"),
        ("subscription", "nope"),
        ("subscription", "99999999999999999999999"),
    ],
)
def test_bad_input_is_a_form_error_not_a_500(client, contact, subscription, field, value):
    client.force_login(contact.user)
    response = client.post(reverse("complaints:new"), {**_post_data(subscription), field: value})
    assert response.status_code == 200
    assert Complaint.objects.count() == 0


def test_subscription_of_another_business_is_refused(client, contact):
    other = ComplaintFactory().subscription
    client.force_login(contact.user)
    response = client.post(reverse("complaints:new"), _post_data(other))
    assert response.status_code == 200
    assert Complaint.objects.filter(business=contact.business).count() == 0


def test_refused_form_offers_all_the_business_subscriptions_again(client, contact, subscription):
    second = SubscriptionFactory(business=contact.business, site_label="Warehouse")
    client.force_login(contact.user)
    response = client.post(reverse("complaints:new"), _post_data(second, description="x"))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"description"}
    choices = dict(response.context["form"].fields["subscription"].choices)
    assert set(choices) == {subscription.pk, second.pk}
    assert f'<option value="{second.pk}" selected>' in response.content.decode()


def test_filing_reads_only_the_subscription_it_names(client, contact, subscription, django_assert_num_queries):
    # Queries of one filing, whatever the number of the business's subscriptions (the user comes from the cache).
    client.force_login(contact.user)
    client.post(reverse("complaints:new"), _post_data(subscription))
    SubscriptionFactory.create_batch(5, business=contact.business)
    # Subscription, complaint (plus its id first on PostgreSQL, its reference after on SQLite), event, notification
    # job, and the savepoint and release the test's own transaction turns the filing's transaction into.
    with django_assert_num_queries(7) as queries:
        assert client.post(reverse("complaints:new"), _post_data(subscription)).status_code == 302
    [read] = [q["sql"] for q in queries.captured_queries if "customers_subscription" in q["sql"]]
    assert '"customers_subscription"."id" = ' in read and "ORDER BY" not in read


def test_filing_is_rate_limited_per_business(client, contact, subscription, settings):
    settings.COMPLAINTS_RATE_PER_BUSINESS = 2
    client.force_login(contact.user)
    statuses = [client.post(reverse("complaints:new"), _post_data(subscription)).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert Complaint.objects.count() == 2
    assert "Too many complaints" in client.post(reverse("complaints:new"), _post_data(subscription)).content.decode()


def test_filing_is_rate_limited_per_ip(client, contact, subscription, settings):
    settings.COMPLAINTS_RATE_PER_IP = 1
    client.force_login(contact.user)
    assert client.post(reverse("complaints:new"), _post_data(subscription)).status_code == 302
    assert client.post(reverse("complaints:new"), _post_data(subscription)).status_code == 429


def test_visibility_per_role(client, contact, admin_contact, agent):
    own = ComplaintFactory(business=contact.business, contact=contact, subscription__business=contact.business)
    colleague = ContactFactory(business=contact.business, user=UserFactory())
    colleagues = ComplaintFactory(business=contact.business, contact=colleague, subscription__business=contact.business)
    stranger = ComplaintFactory()

    def refs(user):
        client.force_login(user)
        return {c.reference for c in client.get(reverse("complaints:list")).context["page"].object_list}

    assert refs(contact.user) == {own.reference}
    assert refs(admin_contact.user) == {own.reference, colleagues.reference}
    client.force_login(contact.user)
    assert client.get(reverse("complaints:detail", args=[colleagues.reference])).status_code == 404
    assert client.get(reverse("complaints:detail", args=[stranger.reference])).status_code == 404
    client.force_login(agent)
    assert client.get(reverse("complaints:list")).status_code == 403


def test_internal_notes_are_never_shown_to_the_customer(client, contact, agent):
    complaint = ComplaintFactory(business=contact.business, contact=contact, subscription__business=contact.business)
    services.complaint_note(complaint_id=complaint.pk, actor=agent, body="SECRET internal remark")
    services.complaint_reply(complaint_id=complaint.pk, actor=agent, body="Public answer")
    client.force_login(contact.user)

    body = client.get(reverse("complaints:detail", args=[complaint.reference])).content.decode()

    assert "Public answer" in body
    assert "SECRET" not in body


def test_customer_reply_with_file(client, contact):
    complaint = ComplaintFactory(business=contact.business, contact=contact, subscription__business=contact.business)
    client.force_login(contact.user)
    upload = SimpleUploadedFile("bill.pdf", PDF, content_type="application/pdf")

    response = client.post(
        reverse("complaints:detail", args=[complaint.reference]), {"body": "More details", "files": [upload]}
    )

    assert response.status_code == 302
    event = complaint.events.get()
    assert (event.kind, event.body, event.is_public, event.data) == (
        "customer_reply",
        "More details",
        True,
        {"files": ["bill.pdf"]},
    )


def test_attachment_served_as_download_only_to_owner_and_staff(client, contact, agent):
    complaint = ComplaintFactory(business=contact.business, contact=contact, subscription__business=contact.business)
    upload = SimpleUploadedFile("proof.pdf", PDF)
    attachment = services._attach(complaint=complaint, uploaded=upload, content_type="application/pdf", user=None)
    url = reverse("complaints:attachment", args=[complaint.reference, attachment.pk])

    client.force_login(contact.user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="proof.pdf"')
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF

    client.force_login(ContactFactory(user=UserFactory()).user)
    assert client.get(url).status_code == 404

    client.force_login(agent)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_list_query_count_is_the_same_at_n_and_2n(client, contact):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    incident = IncidentFactory()
    client.force_login(contact.user)

    def measure(rows):
        ComplaintFactory.create_batch(
            rows, business=contact.business, contact=contact, subscription__business=contact.business, incident=incident
        )
        client.get(reverse("complaints:list"))  # session and caches settle
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("complaints:list"))
        own = [q["sql"] for q in ctx.captured_queries if "complaints_complaint" in q["sql"]]
        return len(ctx.captured_queries), own, len(response.context["page"].object_list)

    total_n, own_n, shown_n = measure(10)
    total_2n, own_2n, shown_2n = measure(10)

    assert (shown_n, shown_2n) == (10, 20)
    assert total_n == total_2n
    assert len(own_n) == len(own_2n)
    # One count and one joined page (service, region and incident in the same query).
    assert len(own_2n) == 2
    assert own_2n[0].startswith("SELECT COUNT(*)")
    assert '"incidents_incident"' in own_2n[1] and '"customers_service"' in own_2n[1]


def test_file_over_10_mb_is_cut_while_read_and_refused(client, contact, subscription):
    from complaints.uploads import MAX_FILE_BYTES

    client.force_login(contact.user)
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * MAX_FILE_BYTES, content_type="application/pdf")

    response = client.post(reverse("complaints:new"), {**_post_data(subscription), "files": [big]})

    assert response.status_code == 200
    assert "scan.pdf is larger than 10 MB." in response.content.decode()
    assert Complaint.objects.count() == 0
    assert ComplaintAttachment.objects.count() == 0


def test_oversized_body_is_refused_unread(client, contact, subscription):
    client.force_login(contact.user)
    response = client.post(reverse("complaints:new"), _post_data(subscription), CONTENT_LENGTH=str(60 * 1024 * 1024))
    assert response.status_code == 413
    assert Complaint.objects.count() == 0


def test_csrf_is_still_checked(contact, subscription):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(contact.user)
    response = client.post(reverse("complaints:new"), _post_data(subscription))
    assert response.status_code == 403
    assert Complaint.objects.count() == 0
