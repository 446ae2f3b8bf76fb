"""The incident.update and incident.correction message kinds: audience, language, escaping."""

import pytest
from django.core.cache import cache

from tests.factories import (
    BusinessFactory,
    ContactFactory,
    IncidentFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
)
from tracker.incidents import services
from tracker.notifications.kinds import get_kind
from tracker.notifications.models import NotificationJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_expansion(monkeypatch):
    from tracker.notifications import tasks

    monkeypatch.setattr(tasks.expand_job, "delay_on_commit", lambda *args, **kwargs: None)
    cache.clear()


@pytest.fixture
def published():
    email = ServiceFactory(slug="fixed-email", name="Fixed e-mail", name_translations={"fr": "Messagerie fixe"})
    paris = RegionFactory(code="FR-75", name="Paris", country="FR")
    incident = IncidentFactory(title="Mail <down>", services=[email], regions=[paris])
    business = BusinessFactory(language="fr")
    SubscriptionFactory(business=business, service=email, region=paris)
    contact = ContactFactory(business=business)
    update = services.incident_update_publish(
        incident=incident,
        status="identified",
        message="Migration <script>x</script>",
        language="en",
        translations={"fr": "Migration du serveur <b>mail</b>"},
        restored_percent=33,
    )
    return NotificationJob.objects.get(pk=update.notification_job_id), contact, incident


def test_update_kind_audience_and_broken_subscriptions(published):
    job, contact, _incident = published
    kind = get_kind("incident.update")
    assert kind.category == "incident"
    assert list(kind.audience(job)) == [contact]
    assert [s.service.slug for s in kind.broken_subscriptions(job)] == ["fixed-email"]


def test_update_kind_renders_translation_and_escapes_html(published):
    job, _contact, incident = published
    kind = get_kind("incident.update")

    fr = kind.render(job, language="fr")
    de = kind.render(job, language="de")

    assert "Migration du serveur <b>mail</b>" in fr.text
    assert "Migration du serveur &lt;b&gt;mail&lt;/b&gt;" in fr.html
    assert "Messagerie fixe" in fr.text
    assert "Migration <script>x</script>" in de.text  # no German translation: the original
    assert "<script>" not in de.html
    assert "Mail &lt;down&gt;" in de.html
    assert fr.subject == "[Identifié] Mail <down>"
    assert len(fr.sms) <= 300
    assert fr.payload["incident"]["restored_percent"] == 33
    assert fr.payload["update"]["message"] == "Migration du serveur <b>mail</b>"
    assert fr.payload["incident"]["url"].endswith(f"/status/incidents/{incident.pk}/")


def test_correction_kind_renders_previous_and_new(published):
    _job, contact, incident = published
    corrections = services.incident_correct(incident=incident, changes={"title": "Fixed e-mail outage"}, notify=True)
    job = NotificationJob.objects.get(kind="incident.correction")
    kind = get_kind("incident.correction")
    message = kind.render(job, language="en")
    assert list(kind.audience(job)) == [contact]
    assert "Mail <down>" in message.text and "Fixed e-mail outage" in message.text
    assert message.payload["corrections"][0]["previous"] == "Mail <down>"
    assert len(corrections) == 1
