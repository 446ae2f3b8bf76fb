"""The compensation rules engine: pure functions, no database.

An outage is a list of Segments (start, end, unavailable share): 1 means the
service is fully down, 0.34 means a third of the customers (or of the service)
is still without it (from the restoration history: 66 % restored). A Rules
object holds the parameters; PRESETS gives the regimes of the issue, which a
CompensationRule may override key by key.

How an amount is computed (every step is in the breakdown):

1. The clock starts at the outage start, or at the fault report ("report").
   Segments before it are cut off.
2. Grace: with grace_mode "deductible", the first grace_hours after the clock
   start never count (Ofcom, TKG: "from the third day"); with "threshold",
   nothing counts unless the outage lasts longer than grace_hours after the
   clock start, and then all of it counts (a French 48-hour clause).
3. Counted hours: each remaining hour weighs 1 when the service is fully down,
   and degraded_rate x unavailable share when it is degraded.
4. Days = counted hours / 24, rounded up to started days ("started") or kept
   exact ("exact").
5. Amount = fixed_credit + days x daily amount + monthly_fee_share x fee x
   counted hours / 720 (a 30-day month, pro rata), where the daily amount is
   the larger of per_day and fee_percent_per_day % of the monthly fee, and after
   day escalation_after_day the escalated ones.
6. x business_multiplier for business lines, then the minimum and the cap,
   rounded half up to cents. No counted hour: nothing at all (no minimum).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

HOURS_PER_MONTH = Decimal(720)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    # Share of the service still unavailable during the segment, 0 < share <= 1.
    unavailable: Decimal = Decimal(1)

    @property
    def hours(self) -> Decimal:
        return Decimal((self.end - self.start).total_seconds()) / Decimal(3600)


@dataclass(frozen=True)
class Rules:
    clock: str = "start"  # "start" or "report"
    grace_hours: Decimal = Decimal(0)
    grace_mode: str = "deductible"  # or "threshold"
    fixed_credit: Decimal = Decimal(0)
    per_day: Decimal = Decimal(0)
    fee_percent_per_day: Decimal = Decimal(0)
    escalation_after_day: int | None = None
    escalated_per_day: Decimal = Decimal(0)
    escalated_fee_percent_per_day: Decimal = Decimal(0)
    monthly_fee_share: Decimal = Decimal(0)
    day_rounding: str = "started"  # or "exact"
    business_multiplier: Decimal = Decimal(1)
    degraded_rate: Decimal = Decimal(1)
    minimum: Decimal = Decimal(0)
    cap: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


class RulesError(ValueError):
    pass


_CHOICES = {
    "clock": {"start", "report"},
    "grace_mode": {"deductible", "threshold"},
    "day_rounding": {"started", "exact"},
}
_LIMIT = Decimal("1000000")

PRESETS: dict[str, Rules] = {
    # Ofcom automatic compensation: per calendar day once a fault is not fixed
    # after two full working days (counted here as 48 hours from the report).
    "ofcom": Rules(clock="report", grace_hours=Decimal(48), per_day=Decimal("9.76")),
    # TKG section 58: from the third day after the report, 5 or 10 % of the
    # monthly fee per day, from the fifth day 10 or 20 %, whichever is higher.
    "tkg58": Rules(
        clock="report",
        grace_hours=Decimal(48),
        per_day=Decimal(5),
        fee_percent_per_day=Decimal(10),
        escalation_after_day=2,
        escalated_per_day=Decimal(10),
        escalated_fee_percent_per_day=Decimal(20),
    ),
    # Belgium: an outage longer than 8 hours is compensated for every started day.
    "belgium": Rules(clock="start", grace_hours=Decimal(8), grace_mode="threshold", per_day=Decimal(8)),
    # AGCOM: per day from the report, doubled for business lines.
    "agcom": Rules(clock="report", per_day=Decimal(6), business_multiplier=Decimal(2)),
    # French contract clauses: past 48 hours, the monthly fee pro rata to the outage.
    "france_48h": Rules(
        clock="start",
        grace_hours=Decimal(48),
        grace_mode="threshold",
        monthly_fee_share=Decimal(1),
        day_rounding="exact",
    ),
}


def rules_from(preset: str, params: dict[str, Any] | None = None) -> Rules:
    """The preset's rules with params overriding them; RulesError on a bad value."""
    base = PRESETS.get(preset, Rules()) if preset != "custom" else Rules()
    if preset not in PRESETS and preset != "custom":
        raise RulesError(_("Unknown preset %(preset)s.") % {"preset": preset})
    known = {f.name: f for f in fields(Rules)}
    changes: dict[str, Any] = {}
    for key, raw in (params or {}).items():
        if key not in known:
            raise RulesError(_("Unknown parameter %(key)s.") % {"key": key})
        if key in _CHOICES:
            if raw not in _CHOICES[key]:
                raise RulesError(
                    _("%(key)s must be one of %(values)s.") % {"key": key, "values": ", ".join(sorted(_CHOICES[key]))}
                )
            changes[key] = raw
        elif key == "escalation_after_day":
            if raw is not None and (not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 3650):
                raise RulesError(_("escalation_after_day must be a whole number of days or null."))
            changes[key] = raw
        elif key == "cap" and raw is None:
            changes[key] = None
        else:
            try:
                value = Decimal(str(raw))
            except InvalidOperation:
                raise RulesError(_("%(key)s must be a number.") % {"key": key}) from None
            if not value.is_finite() or value < 0 or value > _LIMIT:
                raise RulesError(_("%(key)s must be between 0 and %(limit)s.") % {"key": key, "limit": _LIMIT})
            changes[key] = value
    return replace(base, **changes)


@dataclass(frozen=True)
class Result:
    amount: Decimal
    counted_hours: Decimal
    days: Decimal
    breakdown: dict[str, str]


def compute(
    *,
    rules: Rules,
    segments: list[Segment],
    monthly_fee: Decimal,
    business_line: bool,
    reported_at: datetime | None = None,
) -> Result:
    """The compensation of one subscription for one outage."""
    segments = sorted((s for s in segments if s.end > s.start and s.unavailable > 0), key=lambda s: s.start)
    zero = Result(Decimal("0.00"), Decimal(0), Decimal(0), {"reason": "no outage"})
    if not segments:
        return zero
    clock = segments[0].start
    if rules.clock == "report" and reported_at is not None:
        clock = max(clock, reported_at)
    outage_end = max(s.end for s in segments)
    if outage_end <= clock:
        return zero
    grace = timedelta(hours=float(rules.grace_hours))
    count_from = clock
    if rules.grace_mode == "threshold":
        if outage_end - clock <= grace:
            return replace(zero, breakdown={"reason": "within the grace period"})
    else:
        count_from = clock + grace

    counted = Decimal(0)
    for s in segments:
        start, end = max(s.start, count_from), s.end
        if end <= start:
            continue
        hours = Segment(start, end).hours
        weight = Decimal(1) if s.unavailable >= 1 else rules.degraded_rate * s.unavailable
        counted += hours * weight
    if counted <= 0:
        return replace(zero, breakdown={"reason": "within the grace period"})

    exact_days = counted / Decimal(24)
    days = Decimal(math.ceil(exact_days)) if rules.day_rounding == "started" else exact_days
    daily = max(rules.per_day, monthly_fee * rules.fee_percent_per_day / 100)
    if rules.escalation_after_day is not None and days > rules.escalation_after_day:
        normal_days = Decimal(rules.escalation_after_day)
        escalated = max(rules.escalated_per_day, monthly_fee * rules.escalated_fee_percent_per_day / 100)
        per_day_part = normal_days * daily + (days - normal_days) * escalated
    else:
        per_day_part = days * daily
    prorata = rules.monthly_fee_share * monthly_fee * counted / HOURS_PER_MONTH
    amount = rules.fixed_credit + per_day_part + prorata
    multiplier = rules.business_multiplier if business_line else Decimal(1)
    amount *= multiplier
    amount = max(amount, rules.minimum)
    if rules.cap is not None:
        amount = min(amount, rules.cap)
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return Result(
        amount=amount,
        counted_hours=counted,
        days=days,
        breakdown={
            "clock": clock.isoformat(),
            "counted_hours": str(counted.quantize(CENT)),
            "days": str(days.quantize(Decimal("0.001"))),
            "per_day_part": str(per_day_part.quantize(CENT)),
            "prorata_part": str(prorata.quantize(CENT)),
            "fixed_credit": str(rules.fixed_credit),
            "multiplier": str(multiplier),
        },
    )


def segments_from_history(
    *, started_at: datetime, resolved_at: datetime | None, history: list[tuple[datetime, int]], now: datetime
) -> list[Segment]:
    """Segments from a restoration history [(when, percent restored)], ordered or not.

    Without history: one full segment from start to resolution (or now).
    """
    end = resolved_at or now
    points = sorted((when, pct) for when, pct in history if started_at < when)
    segments: list[Segment] = []
    cursor, unavailable = started_at, Decimal(1)
    for when, pct in points:
        when = min(when, end)
        if when > cursor:
            segments.append(Segment(cursor, when, unavailable))
        cursor = when
        unavailable = (Decimal(100) - Decimal(min(max(pct, 0), 100))) / 100
        if unavailable <= 0:
            return segments
    if end > cursor and unavailable > 0:
        segments.append(Segment(cursor, end, unavailable))
    return segments
