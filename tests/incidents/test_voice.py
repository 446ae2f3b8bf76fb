"""/voice/<token>/: the announcement for callers of an affected line, in the business's language."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests.factories import (
    BusinessFactory,
    IncidentFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
    VoiceLineFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines():
    phone = ServiceFactory(slug="business-phone")
    vaud, zurich = RegionFactory(code="CH-VD"), RegionFactory(code="CH-ZH")
    business = BusinessFactory(company_name="Menuiserie <Amoos> & Fils", language="fr")
    affected = VoiceLineFactory(subscription=SubscriptionFactory(business=business, service=phone, region=vaud))
    unaffected = VoiceLineFactory(subscription=SubscriptionFactory(service=phone, region=zurich))
    incident = IncidentFactory(services=[phone], regions=[vaud])
    return affected, unaffected, incident


def test_affected_line_gets_text_in_business_language(client, lines):
    affected, _unaffected, incident = lines
    incident.next_update_due_at = timezone.now() + dt.timedelta(days=3)
    incident.save()
    with translation.override("fr"):
        due_fr = date_format(timezone.localtime(incident.next_update_due_at), "DATETIME_FORMAT")
    with translation.override("en"):
        due_en = date_format(timezone.localtime(incident.next_update_due_at), "DATETIME_FORMAT")

    response = client.get(f"/voice/{affected.token}/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Language"] == "fr"
    text = response.content.decode()
    assert "Menuiserie <Amoos> & Fils" in text
    assert due_fr in text and due_fr != due_en


def test_affected_line_gets_xml_with_speech_language_and_escaped_text(client, lines):
    affected, _unaffected, incident = lines
    incident.next_update_due_at = timezone.now() + dt.timedelta(hours=1)
    incident.save()

    for response in (
        client.get(f"/voice/{affected.token}/?format=xml"),
        client.get(f"/voice/{affected.token}/", HTTP_ACCEPT="application/xml"),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml; charset=utf-8"
        root = ET.fromstring(response.content)  # noqa: S314 - our own output
        say = root.find("Say")
        assert root.tag == "Response"
        assert say.get("language") == "fr-FR"
        assert "Menuiserie <Amoos> & Fils" in say.text


def test_unaffected_line_gets_204_and_unknown_token_404(client, lines):
    _affected, unaffected, _incident = lines
    assert client.get(f"/voice/{unaffected.token}/").status_code == 204
    assert client.get("/voice/not-a-token/").status_code == 404
    assert client.get("/voice/" + "x" * 300 + "/").status_code == 404


def test_resolved_incident_stops_the_announcement(client, lines):
    affected, _unaffected, incident = lines
    incident.status = "resolved"
    incident.resolved_at = timezone.now()
    incident.save()
    assert client.get(f"/voice/{affected.token}/").status_code == 204


def test_english_business_hears_english(client, lines):
    affected, _unaffected, _incident = lines
    affected.subscription.business.language = "en"
    affected.subscription.business.save()
    text = client.get(f"/voice/{affected.token}/").content.decode()
    assert text == (
        "This is a message from your telephone operator. An outage on our network prevents calls to "
        "Menuiserie <Amoos> & Fils from getting through. Menuiserie <Amoos> & Fils is not at fault. "
        "We are restoring the service as soon as possible."
    )


def test_answers_are_cached_until_the_next_publication(
    client, lines, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from tracker.incidents import services

    affected, _unaffected, incident = lines
    assert client.get(f"/voice/{affected.token}/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get(f"/voice/{affected.token}/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_resolve(
            incident=incident, resolved_at=timezone.now(), message="Back.", language="en", notify=False
        )

    assert client.get(f"/voice/{affected.token}/").status_code == 204
