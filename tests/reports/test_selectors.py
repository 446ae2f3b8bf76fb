import datetime as dt
from decimal import Decimal

import pytest

from tracker.reports.selectors import ReportFilters, complaints_over_time, report_figures
from tracker.reports.sql import percentiles_of

pytestmark = pytest.mark.django_db


def test_incident_figures_equal_the_hand_computed_ones(outage):
    figures = report_figures(filters=ReportFilters(incident_id=outage.pk))

    assert figures.incidents == 1
    assert figures.affected_businesses == 2
    assert figures.affected_contacts == 3
    assert figures.complaints == 3
    assert figures.sla_breaches == 1
    # First responses after 600, 1800 and 3600 s; median 1800, p90 at rank 1.8.
    assert figures.first_response.count == 3
    assert figures.first_response.median == pytest.approx(1800, abs=0.01)
    assert figures.first_response.high == pytest.approx(1800 + 0.8 * 1800, abs=0.01)
    # Resolved after 2 h and 4 h.
    assert figures.resolution.count == 2
    assert figures.resolution.median == pytest.approx(10800, abs=0.01)
    assert figures.resolution.high == pytest.approx(7200 + 0.9 * 7200, abs=0.01)
    assert [(c.channel, c.sent, c.failed, c.total) for c in figures.channels] == [
        ("email", 2, 1, 3),
        ("sms", 1, 0, 1),
    ]
    # First delivered message per contact: 60 s and 300 s after the declaration; c2's failed.
    assert figures.time_to_notify.count == 2
    assert figures.time_to_notify.median == pytest.approx(180, abs=0.01)
    assert figures.time_to_notify.high == pytest.approx(60 + 0.95 * 240, abs=0.01)
    assert figures.notify_histogram == [0, 1, 1, 0, 0, 0]
    assert figures.signatures == 2
    money = {row.currency: row for row in figures.money}
    assert set(money) == {"CHF", "EUR"}
    assert money["CHF"].complaints_declared == Decimal("150.00")
    assert money["CHF"].claimed == Decimal("150.00")
    assert money["CHF"].proposed == Decimal("180.00")
    assert money["CHF"].offered == Decimal("200.00")
    assert money["CHF"].granted == Decimal("120.00")
    assert money["CHF"].decisions == 2
    assert money["EUR"].signatures_declared == Decimal("1500.00")


def test_period_figures_count_unlinked_complaints_and_exclude_other_days(outage):
    day = dt.date(2026, 3, 2)

    figures = report_figures(filters=ReportFilters(date_from=day, date_to=day))
    before = report_figures(filters=ReportFilters(date_from=day - dt.timedelta(days=5), date_to=day - dt.timedelta(1)))

    assert figures.complaints == 4
    assert figures.incidents == 1
    assert before.complaints == 0
    assert before.incidents == 0
    assert before.first_response.median is None


def test_complaints_per_hour_cover_the_incident(outage):
    unit, bars = complaints_over_time(incident=outage)

    assert unit == "hour"
    assert len(bars) == 7  # 08:00 to 14:00 UTC, resolved at 14:00
    assert [bar.value for bar in bars] == [0, 2, 0, 1, 0, 0, 0]


def test_sql_percentiles_match_python_on_many_values():
    from django.db.models import F

    from complaints.models import Complaint
    from tracker.reports.sql import percentiles, seconds_between

    from .conftest import T0
    from .factories import ReportComplaintFactory

    minutes = [7, 3, 45, 3, 120, 9, 61, 15, 2, 30, 88]
    for n in minutes:
        c = ReportComplaintFactory()
        Complaint.objects.filter(pk=c.pk).update(created_at=T0, first_responded_at=T0 + dt.timedelta(minutes=n))
    qs = Complaint.objects.annotate(d=seconds_between(F("created_at"), F("first_responded_at"))).values("d")

    count, values = percentiles(qs, [0.5, 0.9, 0.95])

    expected = percentiles_of([m * 60 for m in minutes], [0.5, 0.9, 0.95])
    assert count == len(minutes)
    assert values == {p: pytest.approx(v, abs=0.001) for p, v in expected.items()}


def test_percentiles_of_known_values():
    assert percentiles_of([1, 2, 3, 4], [0.5, 0.9]) == {0.5: 2.5, 0.9: pytest.approx(3.7)}
    assert percentiles_of([], [0.5]) == {0.5: None}
