import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContactFactory, UserFactory

from .factories import DeliveryFactory, NotificationJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, settings):
    settings.ADMIN_REQUIRE_OTP = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_job_page_shows_counts_by_channel_and_status_and_the_time_to_the_last_delivery(staff_client):
    job = NotificationJobFactory(status="done")
    DeliveryFactory.create_batch(2, job=job, status="sent", sent_at=timezone.now())
    DeliveryFactory(job=job, channel="sms", status="failed", last_error="gateway down")
    DeliveryFactory(job=job, status="pending", maybe_sent=True)
    job.finished_at = job.created_at + timezone.timedelta(seconds=42)
    job.save()

    response = staff_client.get(reverse("admin:notifications_notificationjob_change", args=[job.pk]))

    assert response.status_code == 200
    html = response.text
    assert ">2</a></td>" in html and ">1</a></td>" in html
    assert "42.0 s" in html
    assert f"job__id__exact={job.pk}&amp;status__exact=failed" in html


def test_retry_failed_action_puts_failed_rows_back_to_pending(staff_client, django_capture_on_commit_callbacks):
    job = NotificationJobFactory(status="done")
    failed = DeliveryFactory(job=job, status="failed", attempts=3, last_error="boom")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(
            reverse("admin:notifications_notificationjob_changelist"),
            {"action": "retry_failed", "_selected_action": [job.pk]},
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.finished_at) == ("expanded", None)


@pytest.mark.parametrize("n", [5, 10])
def test_a_contacts_delivery_history_takes_the_same_queries_at_n_and_2n(n, staff_client, django_assert_num_queries):
    contact = ContactFactory()
    DeliveryFactory.create_batch(n, contact=contact)
    url = reverse("admin:notifications_delivery_changelist") + f"?contact__id__exact={contact.pk}"
    staff_client.get(url)  # warm the cached session and content types
    with django_assert_num_queries(QUERIES):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert response.text.count('<td class="field-channel">') == n


# The session and the user come from the cache: what is left does not grow with the number of deliveries.
QUERIES = 2
