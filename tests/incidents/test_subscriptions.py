"""Visitors subscribe to a service and region by e-mail, with double opt-in."""

import re

import pytest
from django.core import mail

from tests.factories import RegionFactory, ServiceFactory
from tracker.customers.models import Contact
from tracker.incidents.models import StatusSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    return ServiceFactory(name="Fixed e-mail"), RegionFactory(code="FR-75", name="Paris", country="FR")


def _subscribe(client, place, email="Fabien@Example.COM"):
    service, region = place
    return client.post("/status/subscribe/", {"email": email, "service": service.pk, "region": region.pk})


def test_subscribe_sends_confirmation_and_get_does_not_confirm(client, place, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _subscribe(client, place)

    assert response.status_code == 302 and response["Location"] == "/status/subscribe/sent/"
    subscription = StatusSubscription.objects.get()
    assert subscription.confirmed_at is None
    assert subscription.contact.business is None
    assert subscription.contact.email == "Fabien@example.com"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Fabien@example.com"]
    link = re.search(r"http://\S+/status/subscribe/confirm/(\S+)/", message.body)
    assert link.group(1) == subscription.token

    # Opening the link (or a mail scanner following it) does not confirm...
    assert client.get(f"/status/subscribe/confirm/{subscription.token}/").status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    # ...pressing the button does.
    response = client.post(f"/status/subscribe/confirm/{subscription.token}/")
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None


def test_subscribing_twice_reuses_the_contact_and_mails_once(client, place, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(client, place)
        _subscribe(client, place, email="fabien@example.com")
    assert Contact.objects.count() == 1
    assert StatusSubscription.objects.count() == 1
    assert len(mail.outbox) == 1


def test_bad_input_is_a_clear_form_error(client, place):
    service, _region = place
    response = client.post("/status/subscribe/", {"email": "not-an-address", "service": service.pk, "region": "abc"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["Enter a valid email address."],
        "region": ["Select a valid choice. That choice is not one of the available choices."],
    }
    assert StatusSubscription.objects.count() == 0


def test_unknown_token_is_404_and_cancel_deletes(client, place):
    assert client.get("/status/subscribe/confirm/nope/").status_code == 404
    assert client.post("/status/subscribe/confirm/" + "x" * 100 + "/").status_code == 404
    service, region = place
    subscription = StatusSubscription.objects.create(
        contact=Contact.objects.create(email="a@example.com"), service=service, region=region
    )
    assert client.post(f"/status/subscribe/cancel/{subscription.token}/").status_code == 200
    assert StatusSubscription.objects.count() == 0
