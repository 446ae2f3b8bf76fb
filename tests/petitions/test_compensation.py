"""The compensation engine against amounts worked out by hand for the two demo incidents.

The times are those of tracker/incidents/demo.py (checked below).
Swisscom, 5 June 2018: phone down from 09:00, reported 09:03; restoration 0 % at 09:40,
80 % at 10:10, 100 % at 10:15. Segments: 09:00-10:10 fully down, 10:10-10:15 at 20 %.
SFR, February 2009: e-mail down from Tue 24 Feb 20:00, reported 25 Feb 09:00; 33 % restored
2 Mar 19:00, 66 % 4 Mar 12:00, 100 % 6 Mar 18:00. Segments: 143 h fully down, 41 h at 67 %,
54 h at 34 %. In Paris, 90 % restored on 5 Mar 09:00: 143 h, 41 h at 67 %, 21 h at 34 %, 33 h at 10 %.
Business-tier subscriptions; monthly fee 89 CHF (Swisscom) and 30 EUR (SFR).
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from petitions import compensation
from petitions.compensation import Segment, compute, rules_from, segments_from_history
from petitions.decisions import merged_history

ZRH = ZoneInfo("Europe/Zurich")
PAR = ZoneInfo("Europe/Paris")

SWISSCOM_START = dt.datetime(2018, 6, 5, 9, 0, tzinfo=ZRH)
SWISSCOM_END = dt.datetime(2018, 6, 5, 10, 15, tzinfo=ZRH)
SWISSCOM_REPORT = dt.datetime(2018, 6, 5, 9, 3, tzinfo=ZRH)
SWISSCOM_HISTORY = [
    (dt.datetime(2018, 6, 5, 9, 40, tzinfo=ZRH), 0),
    (dt.datetime(2018, 6, 5, 10, 10, tzinfo=ZRH), 80),
    (SWISSCOM_END, 100),
]
SFR_START = dt.datetime(2009, 2, 24, 20, 0, tzinfo=PAR)
SFR_REPORT = dt.datetime(2009, 2, 25, 9, 0, tzinfo=PAR)
SFR_END = dt.datetime(2009, 3, 6, 18, 0, tzinfo=PAR)
SFR_HISTORY = [
    (dt.datetime(2009, 3, 2, 19, 0, tzinfo=PAR), 33),
    (dt.datetime(2009, 3, 4, 12, 0, tzinfo=PAR), 66),
    (SFR_END, 100),
]
SFR_PARIS = [(dt.datetime(2009, 3, 5, 9, 0, tzinfo=PAR), 90)]

# preset: (Swisscom, SFR, SFR in Paris), worked out by hand in the comments of the tests below.
EXPECTED = {
    "ofcom": ("0.00", "58.56", "48.80"),
    "tkg58": ("0.00", "50.00", "40.00"),
    "belgium": ("0.00", "64.00", "64.00"),
    "agcom": ("12.00", "96.00", "84.00"),
    "france_48h": ("0.00", "7.87", "7.54"),
}


def swisscom(preset, *, fee="89.00", business_line=True, params=None):
    segments = segments_from_history(started_at=SWISSCOM_START, resolved_at=SWISSCOM_END, history=SWISSCOM_HISTORY,
                                     now=SWISSCOM_END)  # fmt: skip
    return compute(rules=rules_from(preset, params), segments=segments, monthly_fee=Decimal(fee),
                   business_line=business_line, reported_at=SWISSCOM_REPORT)  # fmt: skip


def sfr(preset, *, fee="30.00", business_line=True, params=None, paris=False):
    history = merged_history(overall=SFR_HISTORY, regional=SFR_PARIS if paris else [])
    segments = segments_from_history(started_at=SFR_START, resolved_at=SFR_END, history=history, now=SFR_END)
    return compute(rules=rules_from(preset, params), segments=segments, monthly_fee=Decimal(fee),
                   business_line=business_line, reported_at=SFR_REPORT)  # fmt: skip


def test_sfr_history_gives_three_segments_of_decreasing_unavailability():
    segments = segments_from_history(started_at=SFR_START, resolved_at=SFR_END, history=SFR_HISTORY, now=SFR_END)

    assert [(s.hours, s.unavailable) for s in segments] == [
        (Decimal(143), Decimal(1)),
        (Decimal(41), Decimal("0.67")),
        (Decimal(54), Decimal("0.34")),
    ]


def test_paris_history_uses_its_own_snapshot_once_it_has_one():
    history = merged_history(overall=SFR_HISTORY, regional=SFR_PARIS)
    segments = segments_from_history(started_at=SFR_START, resolved_at=SFR_END, history=history, now=SFR_END)

    assert [(s.hours, s.unavailable) for s in segments] == [
        (Decimal(143), Decimal(1)),
        (Decimal(41), Decimal("0.67")),
        (Decimal(21), Decimal("0.34")),
        (Decimal(33), Decimal("0.1")),
    ]


def test_no_history_is_one_full_segment_from_start_to_resolution():
    segments = segments_from_history(started_at=SWISSCOM_START, resolved_at=SWISSCOM_END, history=[], now=SWISSCOM_END)

    assert segments == [Segment(SWISSCOM_START, SWISSCOM_END, Decimal(1))]
    assert segments[0].hours == Decimal("1.25")


# Swisscom: ofcom, tkg58: 67 minutes from the report, inside 48 h of grace. belgium: 75 minutes, not
# over 8 h. france_48h: not over 48 h. agcom: from 09:03, 67 min full + 5 min x 0.2 = 68 min, 1 started
# day x 6 x 2 (business line) = 12.00.
@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_swisscom_2018_per_preset(preset):
    assert swisscom(preset).amount == Decimal(EXPECTED[preset][0])


# SFR outside Paris (weighted: 143 + 41 x 0.67 + 54 x 0.34 = 143 + 27.47 + 18.36 = 188.83 h):
# ofcom: clock at the report (25 Feb 09:00) + 48 h = 27 Feb 09:00: 82 h full + 27.47 + 18.36 = 127.83 h
#   = 5.33 days -> 6 started days x 9.76 = 58.56.
# tkg58: same 6 days; days 1-2 at max(5, 10 % of 30) = 5, days 3-6 at max(10, 20 % of 30) = 10: 10 + 40 = 50.00.
# belgium: over 8 h, so all of it from the start: 188.83 h = 7.87 -> 8 days x 8 = 64.00.
# agcom: from the report: 130 + 27.47 + 18.36 = 175.83 h = 7.33 -> 8 days x 6 x 2 = 96.00.
# france_48h: over 48 h: 30 x 188.83 / 720 = 7.8679 -> 7.87.
@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_sfr_2009_per_preset(preset):
    assert sfr(preset).amount == Decimal(EXPECTED[preset][1])


# SFR in Paris (143 + 27.47 + 21 x 0.34 + 33 x 0.1 = 180.91 h from the start, 167.91 h from the report):
# ofcom: 82 + 27.47 + 7.14 + 3.3 = 119.91 h = 4.996 -> 5 days x 9.76 = 48.80. tkg58: 5 days: 10 + 3 x 10 = 40.00.
# belgium: 7.54 -> 8 days x 8 = 64.00. agcom: 167.91 h = 6.996 -> 7 x 12 = 84.00.
# france_48h: 30 x 180.91 / 720 = 7.5379 -> 7.54.
@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_sfr_2009_in_paris_per_preset(preset):
    assert sfr(preset, paris=True).amount == Decimal(EXPECTED[preset][2])


def test_swisscom_agcom_standard_line_is_not_doubled():
    assert swisscom("agcom", business_line=False).amount == Decimal("6.00")


def test_tkg58_takes_the_fee_share_when_it_is_higher():
    # Fee 89: days 1-2 at max(5, 8.90), days 3-6 at max(10, 17.80): 17.80 + 71.20.
    assert sfr("tkg58", fee="89.00").amount == Decimal("89.00")


def test_degraded_rate_zero_counts_only_the_full_outage():
    # France 48 h, only the 143 full hours: 30 x 143 / 720 = 5.958 -> 5.96.
    assert sfr("france_48h", params={"degraded_rate": "0"}).amount == Decimal("5.96")


def test_fixed_credit_cap_and_minimum():
    # Story 1's goodwill gesture: a fixed 200 CHF once the outage counts at all.
    assert swisscom("custom", params={"fixed_credit": "200"}).amount == Decimal("200.00")
    assert sfr("agcom", params={"cap": "50"}).amount == Decimal("50.00")
    assert sfr("france_48h", params={"minimum": "25"}).amount == Decimal("25.00")


def test_escalation_and_exact_days():
    rules = rules_from("custom", {"per_day": "10", "escalation_after_day": 1, "escalated_per_day": "20",
                                  "day_rounding": "exact"})  # fmt: skip
    start = dt.datetime(2026, 1, 1, tzinfo=ZRH)
    # 36 hours = 1.5 days: day 1 at 10, half a day at 20.
    result = compute(rules=rules, segments=[Segment(start, start + dt.timedelta(hours=36))], monthly_fee=Decimal(0),
                     business_line=False)  # fmt: skip
    assert result.amount == Decimal("20.00")


def test_no_outage_gives_nothing_even_with_a_minimum():
    rules = rules_from("custom", {"minimum": "10"})
    assert compute(rules=rules, segments=[], monthly_fee=Decimal(10), business_line=True).amount == Decimal("0.00")


@pytest.mark.parametrize(
    "params",
    [{"per_day": "-1"}, {"per_day": "abc"}, {"clock": "noon"}, {"unknown": 1}, {"escalation_after_day": "2"},
     {"cap": "1e9"}, {"grace_hours": "NaN"}],
)  # fmt: skip
def test_bad_parameters_are_refused(params):
    with pytest.raises(compensation.RulesError):
        rules_from("custom", params)


def test_unknown_preset_is_refused():
    with pytest.raises(compensation.RulesError):
        rules_from("mars", {})


def test_times_are_those_of_the_demo_incidents():
    from tracker.incidents import demo

    assert demo.SWISSCOM_START == SWISSCOM_START
    assert demo.SFR_START == SFR_START
