"""Writes: declare, publish, correct, restore, resolve; validation leaves nothing behind."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import IncidentFactory, RegionFactory, ServiceFactory, StaffFactory, UserFactory
from tracker.incidents import services
from tracker.incidents.cache import VERSION_KEY, status_cache_version
from tracker.incidents.models import Correction, Incident, IncidentUpdate, RestorationSnapshot
from tracker.notifications.models import NotificationJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_expansion(monkeypatch):
    # The engine's expansion is another module's business; here we only look at the job row.
    from tracker.notifications import tasks

    monkeypatch.setattr(tasks.expand_job, "delay_on_commit", lambda *args, **kwargs: None)


def _declare(**overrides):
    now = timezone.now()
    kwargs = {
        "title": "Business Connect outage",
        "services": [ServiceFactory(slug="business-phone")],
        "regions": [RegionFactory(code="CH-VD"), RegionFactory(code="CH-GE")],
        "started_at": now - dt.timedelta(minutes=30),
        "message": "Calls fail.",
        "language": "en",
        "author": StaffFactory(),
    }
    kwargs.update(overrides)
    return services.incident_declare(**kwargs)


def test_declare_publishes_first_update_and_creates_one_job():
    incident = _declare(translations={"fr": "Les appels échouent.", "de": ""})

    update = incident.updates.get()
    assert incident.status == Incident.Status.INVESTIGATING
    assert incident.declared_at == update.published_at
    assert update.translations == {"fr": "Les appels échouent."}
    job = NotificationJob.objects.get()
    assert (job.kind, job.params, job.dedupe_key) == (
        "incident.update",
        {"update_id": update.pk},
        f"incident-update:{update.pk}",
    )
    assert update.notification_job == job


def test_publish_without_notify_creates_no_job():
    incident = _declare(notify=False)
    services.incident_update_publish(
        incident=incident, status="identified", message="Found it.", language="en", notify=False
    )
    assert NotificationJob.objects.count() == 0
    assert incident.updates.count() == 2


def test_suspected_incident_is_declared_by_its_first_update():
    incident = services.incident_suspect(
        title="Complaints spike",
        services=[ServiceFactory()],
        regions=[RegionFactory()],
        started_at=timezone.now() - dt.timedelta(minutes=20),
    )
    assert incident.declared_at is None and incident.status == "suspected"

    update = services.incident_update_publish(
        incident=incident, status="investigating", message="On it.", language="fr"
    )

    incident.refresh_from_db()
    assert incident.declared_at == update.published_at
    assert incident.status == "investigating"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"restored_percent": 101}, "restored_percent"),
        ({"restored_percent": -1}, "restored_percent"),
        ({"status": "resolved"}, "resolved_at"),
        ({"published_at": "future"}, "published_at"),
        ({"next_update_due_at": "past"}, "next_update_due_at"),
        ({"message": "   "}, "message"),
        ({"language": "xx"}, "language"),
        ({"status": "suspected"}, "status"),
        ({"translations": {"es": "Hola"}}, "translations"),
        ({"status": "monitoring", "resolved_at": "past"}, "resolved_at"),
    ],
)
def test_publish_rejects_bad_input_and_changes_nothing(overrides, field):
    incident = _declare(notify=False)
    now = timezone.now()
    replace = {"future": now + dt.timedelta(hours=1), "past": now - dt.timedelta(hours=1)}
    kwargs = {"incident": incident, "status": "identified", "message": "Found it.", "language": "en"}
    kwargs.update({k: replace.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()})

    with pytest.raises(ValidationError) as exc:
        services.incident_update_publish(**kwargs)

    assert field in exc.value.message_dict
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert incident.updates.count() == 1
    assert RestorationSnapshot.objects.count() == 0


def test_declare_rejects_future_start_and_changes_nothing():
    with pytest.raises(ValidationError) as exc:
        _declare(started_at=timezone.now() + dt.timedelta(days=1))
    assert "started_at" in exc.value.message_dict
    assert Incident.objects.count() == 0
    assert IncidentUpdate.objects.count() == 0


def test_restoration_by_thirds_keeps_history_overall_and_per_region():
    incident = _declare(notify=False)
    region = incident.regions.order_by("code").first()
    base = timezone.now() - dt.timedelta(minutes=20)
    for minutes, percent in ((0, 33), (5, 66)):
        services.incident_update_publish(
            incident=incident,
            status="identified",
            message=f"{percent} % back.",
            language="fr",
            restored_percent=percent,
            published_at=base + dt.timedelta(minutes=minutes),
            notify=False,
        )
    services.incident_restoration_record(incident=incident, percent=90, region=region)

    incident.refresh_from_db()
    assert incident.restored_percent == 66
    assert list(incident.restoration_snapshots.filter(region=None).values_list("percent", flat=True)) == [33, 66]
    assert list(incident.restoration_snapshots.filter(region=region).values_list("percent", flat=True)) == [90]


def test_restoration_rejects_region_outside_the_incident():
    incident = _declare(notify=False)
    with pytest.raises(ValidationError) as exc:
        services.incident_restoration_record(incident=incident, percent=50, region=RegionFactory(code="FR-75"))
    assert "region" in exc.value.message_dict
    assert RestorationSnapshot.objects.count() == 0


def test_resolve_sets_time_full_restoration_and_clears_next_update():
    incident = _declare(notify=False, next_update_due_at=timezone.now() + dt.timedelta(hours=1))
    resolved_at = timezone.now() - dt.timedelta(minutes=1)

    services.incident_resolve(incident=incident, resolved_at=resolved_at, message="Back.", language="en")

    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at, incident.restored_percent, incident.next_update_due_at) == (
        "resolved",
        resolved_at,
        100,
        None,
    )


def test_resolve_without_time_is_rejected():
    incident = _declare(notify=False)
    with pytest.raises(ValidationError) as exc:
        services.incident_resolve(incident=incident, resolved_at=None, message="Back.", language="en")
    assert exc.value.message_dict["resolved_at"] == ["Give the time the outage was resolved."]
    incident.refresh_from_db()
    assert incident.status == "investigating"


def test_correction_keeps_previous_values_and_notifies_when_asked():
    incident = _declare(notify=False)
    update = incident.updates.get()
    new_region = RegionFactory(code="CH-ZH")
    author = StaffFactory()
    old_regions = ", ".join(sorted(str(r) for r in incident.regions.all()))

    corrections = services.incident_correct(
        incident=incident,
        changes={
            "title": "Nationwide telephony outage",
            "regions": [*incident.regions.all(), new_region],
            "updates": {update.pk: "Calls fail everywhere."},
            "severity": incident.severity,  # unchanged: no correction
        },
        notify=True,
        author=author,
    )

    incident.refresh_from_db()
    update.refresh_from_db()
    assert incident.title == "Nationwide telephony outage"
    assert update.message == "Calls fail everywhere."
    assert sorted((c.field, c.previous_value, c.new_value) for c in corrections) == [
        ("regions", old_regions, ", ".join(sorted(str(r) for r in incident.regions.all()))),
        ("title", "Business Connect outage", "Nationwide telephony outage"),
        ("update_message", "Calls fail.", "Calls fail everywhere."),
    ]
    assert all(c.notified and c.author == author for c in corrections)
    job = NotificationJob.objects.get(kind="incident.correction")
    assert job.params == {"incident_id": incident.pk, "correction_ids": [c.pk for c in corrections]}


def test_correction_without_notify_or_change():
    incident = _declare(notify=False)
    assert services.incident_correct(incident=incident, changes={"title": incident.title}, notify=True) == []
    services.incident_correct(incident=incident, changes={"title": "Better title"}, notify=False)
    assert Correction.objects.get().notified is False
    assert NotificationJob.objects.count() == 0


def test_correction_rejects_empty_services_and_changes_nothing():
    incident = _declare(notify=False)
    with pytest.raises(ValidationError) as exc:
        services.incident_correct(incident=incident, changes={"services": [], "title": "New"}, notify=False)
    assert set(exc.value.message_dict) == {"services"}
    incident.refresh_from_db()
    assert incident.title == "Business Connect outage"
    assert Correction.objects.count() == 0


def test_publish_invalidates_status_cache_after_commit(django_capture_on_commit_callbacks):
    incident = IncidentFactory()
    before = status_cache_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.incident_update_publish(
            incident=incident, status="identified", message="x", language="en", notify=False
        )
    before_commit = cache.get(VERSION_KEY)
    for callback in callbacks:
        callback()
    # Bumped again once committed: a page rebuilt from the uncommitted state in between is not served.
    assert status_cache_version() not in {before, before_commit}


def test_publish_rejects_restoration_of_a_region_outside_the_incident():
    incident = _declare(notify=False)
    with pytest.raises(ValidationError) as exc:
        services.incident_update_publish(
            incident=incident,
            status="identified",
            message="Paris back.",
            language="fr",
            restored_percent=50,
            restored_region=RegionFactory(code="FR-75"),
        )
    assert exc.value.message_dict == {"restored_region": ["This region is not affected by the incident."]}
    assert incident.updates.count() == 1
    assert RestorationSnapshot.objects.count() == 0


def test_people_without_the_role_cannot_declare_publish_or_correct():
    outsider = UserFactory(is_staff=True)  # staff, but in no role group
    with pytest.raises(PermissionDenied):
        _declare(author=outsider)
    incident = _declare(notify=False)

    with pytest.raises(PermissionDenied):
        services.incident_update_publish(incident=incident, status="identified", message="x", language="en",
                                         author=outsider)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.incident_correct(incident=incident, changes={"title": "Other"}, notify=False, author=outsider)

    incident.refresh_from_db()
    assert (incident.title, incident.updates.count()) == ("Business Connect outage", 1)
