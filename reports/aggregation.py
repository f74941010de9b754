"""Campaign aggregates, computed in PostgreSQL (GROUP BY, percentiles) with a fixed number of
queries whatever the number of responses. The rules are those of `assessments.scoring`:

- item score (value - 1) * 25, reverse items (5 - value) * 25, "don't know" left out;
- a respondent's dimension score is the weighted mean of their answered items, when at least
  `min_answered_share` of the dimension's items are answered;
- a respondent's overall score is the mean of their scored dimensions when at least half are;
- the organisation's dimension score is the mean of its respondents' dimension scores, and its
  overall index is the mean of the organisation's dimension scores.

Runs inside the firm's scope: raw SQL is still behind the RLS wall. Values always travel as query
parameters; the only text put into the SQL is constant (column names from a fixed tuple and the
histogram's bucket edges).
"""

from __future__ import annotations

import itertools

from django.db import connection

HISTOGRAM_EDGES = [0, 20, 40, 60, 80, 100]

# One scan over the campaign's answers, into a transaction-local temporary table: per respondent
# and dimension (weighted sums) and, in the same pass, per respondent and sign. Every aggregate
# below reads this small table instead of scanning the answers again.
_SCAN = """
CREATE TEMPORARY TABLE pmo_scan ON COMMIT DROP AS
SELECT respondent_id, dimension_id, sign,
       sum(points * weight) AS wsum, sum(weight) AS weight,
       sum(points) AS total, sum(points * points) AS squares, count(*) AS answered
FROM (
    SELECT a.respondent_id, i.dimension_id, i.sign, i.weight::float8 AS weight,
           ((CASE WHEN i.reverse THEN 5 - a.value ELSE a.value - 1 END) * 25)::float8 AS points
    FROM assessments_answer a
    JOIN assessments_item i ON i.id = a.item_id
    JOIN assessments_respondent r ON r.id = a.respondent_id
    WHERE r.campaign_id = %(campaign)s AND r.completed_at IS NOT NULL AND a.value IS NOT NULL
          AND i.version_id = %(version)s
) AS answers
GROUP BY GROUPING SETS ((respondent_id, dimension_id), (respondent_id, sign))
"""

_SCORED = """
WITH dim_size AS (
    SELECT dimension_id, count(*) AS n_items
    FROM assessments_item WHERE version_id = %(version)s GROUP BY dimension_id
), scored AS (
    SELECT s.respondent_id, s.dimension_id, s.wsum / s.weight AS score
    FROM pmo_scan s JOIN dim_size ds USING (dimension_id)
    WHERE s.dimension_id IS NOT NULL
      AND s.answered >= GREATEST(1, ceil(%(share)s * ds.n_items))
), roverall AS (
    SELECT respondent_id, avg(score) AS score
    FROM scored GROUP BY respondent_id
    HAVING count(*) >= ceil((SELECT count(*) FROM dim_size) / 2.0)
)
"""

_HISTOGRAM = ", ".join(
    f"count(*) FILTER (WHERE score >= {low} AND score {'<=' if high == 100 else '<'} {high})"
    for low, high in itertools.pairwise(HISTOGRAM_EDGES)
)


def _rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _round(value):
    return None if value is None else round(float(value), 1)


def campaign_aggregates(*, campaign_id: int, version_id: int, min_answered_share: float) -> dict:
    """Raw aggregates for one campaign (confidentiality is applied by the report builder)."""
    params = {"campaign": campaign_id, "version": version_id, "share": min_answered_share}

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pmo_scan")
        cursor.execute(_SCAN, params)

    counts = _rows(
        """
        SELECT count(*) FILTER (WHERE source = 'invited'),
               count(*) FILTER (WHERE source = 'invited' AND completed_at IS NOT NULL),
               count(*) FILTER (WHERE completed_at IS NOT NULL)
        FROM assessments_respondent WHERE campaign_id = %(campaign)s
        """,
        params,
    )[0]

    dimensions = {}
    for row in _rows(
        _SCORED
        + f"""
        SELECT dimension_id, count(*), avg(score), stddev_pop(score),
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY score),
               {_HISTOGRAM}
        FROM scored GROUP BY dimension_id
        """,
        params,
    ):
        dimension_id, n, mean, sd, quartiles, *histogram = row
        dimensions[dimension_id] = {
            "n": n,
            "mean": _round(mean),
            "sd": _round(sd),
            "quartiles": [_round(q) for q in quartiles],
            "histogram": list(histogram),
        }

    overall_row = _rows(
        _SCORED
        + f"""
        SELECT count(*), avg(score), stddev_pop(score),
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY score),
               {_HISTOGRAM}
        FROM roverall
        """,
        params,
    )[0]
    n, mean, sd, quartiles, *histogram = overall_row
    respondents = {
        "n": n,
        "mean": _round(mean),
        "sd": _round(sd),
        "quartiles": [_round(q) for q in quartiles] if quartiles else [None, None, None],
        "histogram": list(histogram),
    }

    signs = {
        sign: {
            "n": respondents,
            "mean": _round(total / answered),
            "sd": _round(max(0.0, squares / answered - (total / answered) ** 2) ** 0.5),
        }
        for sign, respondents, total, squares, answered in _rows(
            """
            SELECT sign, count(*), sum(total)::float, sum(squares)::float, sum(answered)::int
            FROM pmo_scan WHERE dimension_id IS NULL
            GROUP BY sign
            """,
            params,
        )
    }

    segments = {}
    for attribute in ("role_level", "department"):
        groups: dict[str, dict] = {}
        for value, n in _rows(
            f"""
            SELECT {attribute}, count(*) FROM assessments_respondent
            WHERE campaign_id = %(campaign)s AND completed_at IS NOT NULL
            GROUP BY {attribute}
            """,
            params,
        ):
            groups[value] = {"n": n, "dimensions": {}, "overall": None, "overall_n": 0}
        for value, dimension_id, mean, n in _rows(
            _SCORED
            + f"""
            SELECT r.{attribute}, s.dimension_id, avg(s.score), count(*)
            FROM scored s JOIN assessments_respondent r ON r.id = s.respondent_id
            GROUP BY r.{attribute}, s.dimension_id
            UNION ALL
            SELECT r.{attribute}, NULL, avg(o.score), count(*)
            FROM roverall o JOIN assessments_respondent r ON r.id = o.respondent_id
            GROUP BY r.{attribute}
            """,
            params,
        ):
            # Each cell keeps its own count: a group can be large while a cell rests on few people.
            if dimension_id is None:
                groups[value]["overall"] = _round(mean)
                groups[value]["overall_n"] = n
            else:
                groups[value]["dimensions"][dimension_id] = (_round(mean), n)
        segments[attribute] = groups

    return {
        "invited": counts[0],
        "completed_invited": counts[1],
        "completed": counts[2],
        "dimensions": dimensions,
        "respondents": respondents,
        "signs": signs,
        "segments": segments,
    }


def benchmark_percentiles(
    *, instrument_key: str, mine: dict[str, float], field: str, value: str, exclude_firm: str
) -> dict[str, dict]:
    """Where this organisation's scores fall among the contributed organisations that share its
    industry or size band (`field`), per dimension ("" is the overall index). One query."""
    if field not in ("industry", "size_band") or not mine:
        raise ValueError("benchmark by industry or size_band, with at least one score")
    values = ", ".join(["(%s, %s::float)"] * len(mine))
    params: list = [item for pair in mine.items() for item in pair]
    params += [instrument_key, value, exclude_firm]
    rows = _rows(
        f"""
        WITH mine(dimension, score) AS (VALUES {values})
        SELECT m.dimension, count(b.id),
               count(b.id) FILTER (WHERE b.score < m.score),
               count(b.id) FILTER (WHERE b.score = m.score),
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY b.score)
        FROM mine m
        JOIN reports_benchmarkpoint b ON b.dimension = m.dimension
        WHERE b.instrument_key = %s AND b.{field} = %s AND b.firm_key <> %s
        GROUP BY m.dimension
        """,
        params,
    )
    return {
        dimension: {
            "organisations": n,
            "percentile": round(100 * (below + equal / 2) / n) if n else None,
            "quartiles": [_round(q) for q in quartiles],
        }
        for dimension, n, below, equal, quartiles in rows
    }
