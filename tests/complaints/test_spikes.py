from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from complaints.models import Complaint, ComplaintSpike
from complaints.selectors import spikes_open
from complaints.spikes import spikes_detect
from tests.complaints.factories import ComplaintFactory, IncidentFactory
from tests.factories import RegionFactory, ServiceFactory
from tracker.incidents.models import Incident

pytestmark = pytest.mark.django_db


def _complaints(count, *, service, region, start, spread):
    """`count` complaints from different businesses, filed between start and start + spread."""
    complaints = ComplaintFactory.create_batch(count, subscription__service=service, subscription__region=region)
    step = spread / count
    for i, complaint in enumerate(complaints):
        complaint.created_at = start + step * i
    Complaint.objects.bulk_update(complaints, ["created_at"])
    return complaints


@pytest.fixture
def pair(db):
    return ServiceFactory(name="Fixed e-mail"), RegionFactory(name="Paris")


def test_two_hundred_businesses_in_ten_minutes_give_one_suspected_incident_and_one_alert(
    pair, agent, settings, django_capture_on_commit_callbacks
):
    settings.COMPLAINTS_SPIKE_WINDOW_MINUTES = 5
    service, region = pair
    now = timezone.now()
    _complaints(200, service=service, region=region, start=now - timedelta(minutes=10), spread=timedelta(minutes=10))

    with django_capture_on_commit_callbacks(execute=True):
        first = spikes_detect(now=now)
    again = spikes_detect(now=now + timedelta(minutes=1))
    later = spikes_detect(now=now + timedelta(minutes=5))

    assert len(first) == 1 and again == [] and later == []
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.SUSPECTED
    assert incident.declared_at is None
    assert list(incident.services.all()) == [service]
    assert list(incident.regions.all()) == [region]
    assert Complaint.objects.filter(incident=incident).count() == 200
    spike = ComplaintSpike.objects.get()
    assert (spike.businesses, spike.previous_businesses, spike.baseline) == (100, 100, 0.0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["agent@operator.example"]
    assert "Fixed e-mail" in mail.outbox[0].subject and "Paris" in mail.outbox[0].subject
    assert list(spikes_open()) == [spike]


def test_one_busy_window_is_not_a_spike(pair):
    service, region = pair
    now = timezone.now()
    _complaints(50, service=service, region=region, start=now - timedelta(minutes=4), spread=timedelta(minutes=4))

    assert spikes_detect(now=now) == []
    assert Incident.objects.count() == 0


def test_usual_level_for_the_hour_of_the_week_raises_the_threshold(pair, settings):
    settings.COMPLAINTS_SPIKE_RATIO = 3.0
    service, region = pair
    now = timezone.now()
    # The same ten minutes of each of the past 4 weeks had 10 businesses complaining: 5 per window, threshold 15.
    for week in range(1, 5):
        start = now - timedelta(days=7 * week, minutes=10)
        _complaints(10, service=service, region=region, start=start, spread=timedelta(minutes=10))
    _complaints(20, service=service, region=region, start=now - timedelta(minutes=10), spread=timedelta(minutes=10))

    assert spikes_detect(now=now) == []  # 10 per window < 3 x 5

    _complaints(80, service=service, region=region, start=now - timedelta(minutes=10), spread=timedelta(minutes=10))
    spikes = spikes_detect(now=now)
    assert len(spikes) == 1
    assert spikes[0].baseline == 5.0


def test_no_spike_when_an_incident_already_covers_it(pair):
    service, region = pair
    IncidentFactory(services=[service], regions=[region])
    now = timezone.now()
    _complaints(60, service=service, region=region, start=now - timedelta(minutes=10), spread=timedelta(minutes=10))

    assert spikes_detect(now=now) == []
    assert Incident.objects.count() == 1
    assert len(mail.outbox) == 0


def test_minimum_count_is_tunable(pair, settings):
    settings.COMPLAINTS_SPIKE_MIN_BUSINESSES = 50
    service, region = pair
    now = timezone.now()
    _complaints(60, service=service, region=region, start=now - timedelta(minutes=10), spread=timedelta(minutes=10))
    assert spikes_detect(now=now) == []
    settings.COMPLAINTS_SPIKE_MIN_BUSINESSES = 30
    assert len(spikes_detect(now=now)) == 1
