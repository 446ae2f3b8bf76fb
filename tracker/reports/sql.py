"""SQL building blocks of the reports, portable between SQLite and PostgreSQL.

Durations are seconds (a float) computed by the database. Percentiles use
linear interpolation (the definition of PostgreSQL's percentile_cont) and are
computed in SQL with window functions that both databases support: the rows
are numbered in order with ROW_NUMBER() OVER (ORDER BY d) and counted with
COUNT(*) OVER (); only the two rows around each requested rank come back to
Python, which interpolates between them. No list of durations is ever loaded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import FloatField, Func, QuerySet


class EpochSeconds(Func):
    """Seconds since the epoch of a datetime column, as a float."""

    output_field = FloatField()

    def as_sqlite(self, compiler, conn, **extra_context):
        # julianday() parses Django's stored text "YYYY-MM-DD HH:MM:SS.ffffff" (UTC).
        return self.as_sql(compiler, conn, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)")

    def as_postgresql(self, compiler, conn, **extra_context):
        return self.as_sql(compiler, conn, template="EXTRACT(EPOCH FROM %(expressions)s)::double precision")


def seconds_between(start, end) -> Func:
    """end - start in seconds (an expression); NULL when either is NULL."""
    # Rounded to the millisecond: julianday() arithmetic is a float of days.
    return Func(EpochSeconds(end), EpochSeconds(start), template="(ROUND((%(expressions)s) * 1000) / 1000.0)",
                arg_joiner=" - ", output_field=FloatField())  # fmt: skip


def _inner_sql(values_qs: QuerySet) -> tuple[str, tuple]:
    sql, params = values_qs.query.sql_with_params()
    return sql, tuple(params)


def percentiles(values_qs: QuerySet, ps: Sequence[float]) -> tuple[int, dict[float, float | None]]:
    """Count and interpolated percentiles of the column "d" of a values("d") queryset.

    One query whatever the row count. NULLs are ignored. Returns (n, {p: value}).
    """
    inner, params = _inner_sql(values_qs)
    bounds = " OR ".join(["(s.rn - 1 > %s * (s.cnt - 1) - 1 AND s.rn - 1 < %s * (s.cnt - 1) + 1)"] * len(ps))
    bound_params: list[float] = []
    for p in ps:
        bound_params += [p, p]
    # The inner SQL is compiled by the ORM with its values as parameters; nothing user-typed is pasted in.
    sql = " ".join(
        [
            "SELECT s.rn, s.cnt, s.d FROM (",
            "SELECT t.d AS d, ROW_NUMBER() OVER (ORDER BY t.d) AS rn, COUNT(*) OVER () AS cnt",
            f"FROM ({inner}) t WHERE t.d IS NOT NULL",
            f") s WHERE {bounds} ORDER BY s.rn",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + tuple(bound_params))
        rows = cursor.fetchall()
    if not rows:
        return 0, dict.fromkeys(ps)
    n = int(rows[0][1])
    by_index = {int(rn) - 1: float(d) for rn, _cnt, d in rows}
    return n, {p: interpolate(by_index, n, p) for p in ps}


def interpolate(by_index: dict[int, float], n: int, p: float) -> float | None:
    """percentile_cont: linear interpolation between the ranks around p * (n - 1)."""
    if n == 0:
        return None
    pos = p * (n - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    low = by_index.get(lo, by_index.get(hi))
    high = by_index.get(hi, low)
    if low is None or high is None:
        return None
    return low + (high - low) * (pos - lo)


def percentiles_of(values: Iterable[float], ps: Sequence[float]) -> dict[float, float | None]:
    """The same definition in Python, for tests and hand computations."""
    ordered = sorted(values)
    return {p: interpolate(dict(enumerate(ordered)), len(ordered), p) for p in ps}


def histogram(values_qs: QuerySet, edges: Sequence[float]) -> list[int]:
    """Counts of the column "d" per bucket [edges[i], edges[i+1]), the last bucket open-ended. One query."""
    inner, params = _inner_sql(values_qs)
    cases = []
    case_params: list[float] = []
    for i, low in enumerate(edges):
        if i + 1 < len(edges):
            cases.append("COALESCE(SUM(CASE WHEN u.d >= %s AND u.d < %s THEN 1 ELSE 0 END), 0)")
            case_params += [low, edges[i + 1]]
        else:
            cases.append("COALESCE(SUM(CASE WHEN u.d >= %s THEN 1 ELSE 0 END), 0)")
            case_params.append(low)
    sql = f"SELECT {', '.join(cases)} FROM ({inner}) u"  # noqa: S608 (ORM-compiled, parameters kept apart)
    with connection.cursor() as cursor:
        cursor.execute(sql, tuple(case_params) + params)
        row = cursor.fetchone()
    return [int(v) for v in row]
