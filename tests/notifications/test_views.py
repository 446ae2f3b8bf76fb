import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContactFactory
from tracker.notifications import tokens
from tracker.notifications.models import Delivery

from .factories import DeliveryFactory

pytestmark = pytest.mark.django_db


def _url(name, contact):
    purpose = tokens.PREFERENCES if name == "preferences" else tokens.UNSUBSCRIBE
    return reverse(f"notifications:{name}", args=[tokens.make_token(contact.pk, purpose=purpose)])


def test_the_preferences_page_shows_and_saves_channels_language_and_muted_categories(client):
    contact = ContactFactory(wants_email=True, wants_sms=False, language="")
    url = _url("preferences", contact)

    page = client.get(url)
    assert page.status_code == 200
    assert b'name="wants_email"' in page.content and b'value="incident"' in page.content

    response = client.post(url, {"subscribed": "on", "wants_sms": "on", "language": "it", "muted_kinds": ["incident"]})

    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.wants_email, contact.wants_sms, contact.language, contact.muted_kinds) == (
        False,
        True,
        "it",
        ["incident"],
    )


def test_invalid_preferences_are_refused_with_a_message_and_change_nothing(client):
    contact = ContactFactory(phone="", wants_sms=False, language="fr")
    response = client.post(_url("preferences", contact), {"subscribed": "on", "wants_sms": "on", "language": "xx"})
    assert response.status_code == 200
    assert "We have no mobile phone number for you." in response.text
    assert "Select a valid choice." in response.text
    contact.refresh_from_db()
    assert (contact.wants_sms, contact.language) == (False, "fr")


@pytest.mark.parametrize("token", ["1:forged", "x" * 300, "abc", "1"])
def test_a_forged_or_malformed_token_is_a_404_not_a_500(client, token):
    ContactFactory()
    assert client.get(reverse("notifications:preferences", args=[token])).status_code == 404
    assert client.post(reverse("notifications:unsubscribe", args=[token])).status_code == 404


def test_a_preferences_token_does_not_unsubscribe(client):
    contact = ContactFactory()
    token = tokens.make_token(contact.pk, purpose=tokens.PREFERENCES)
    assert client.post(reverse("notifications:unsubscribe", args=[token])).status_code == 404
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None


def test_unsubscribe_get_asks_for_confirmation_and_changes_nothing(client):
    contact = ContactFactory()
    response = client.get(_url("unsubscribe", contact))
    assert response.status_code == 200
    assert b'<form method="post">' in response.content
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None


def test_one_click_unsubscribe_works_without_csrf_token_and_skips_queued_rows():
    contact = ContactFactory()
    queued = DeliveryFactory(contact=contact)
    sent = DeliveryFactory(contact=contact, status="sent", sent_at=timezone.now())
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(_url("unsubscribe", contact), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    assert Delivery.objects.get(pk=queued.pk).status == "skipped"
    assert Delivery.objects.get(pk=sent.pk).status == "sent"


def test_the_preferences_form_keeps_its_csrf_protection():
    contact = ContactFactory(wants_sms=False)
    response = Client(enforce_csrf_checks=True).post(_url("preferences", contact), {"wants_sms": "on"})
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.wants_sms is False
