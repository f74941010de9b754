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

# Settings of the build's transaction only (SET LOCAL). No JIT: compiling the expressions of
# these aggregates (about 0.3 s on each of the larger ones at 100,000 responses) costs more than
# it saves. A tenth of the default cost of passing a row from a parallel worker to the leader:
# with the default (0.1) the planner scans a 100,000-response campaign (2.3 million answers)
# serially, while it scans a 10,000-response one in parallel, so time grew by about 11 x for
# 10 x the responses; at 0.01 both sizes scan in parallel (measured on 2 cores: scan 2.83 s ->
# 2.30 s at 100,000, unchanged at 10,000; bench/report_build.py). The benchmark's floor runs
# with the same settings.
BUILD_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL parallel_tuple_cost = 0.01")

# One scan over the campaign's answers, into a transaction-local temporary table. One sort by
# respondent (with their segments) and dimension gives, as a rollup, the rows per respondent and
# dimension (weighted sums, and the respondent's dimension score when they answered enough of
# its items) and per respondent (which signs they answered, as bits: `1 << sign`, signs 1-9);
# the per-sign sums are hashed in the same pass (nine groups). Every aggregate below reads this
# small table instead of scanning the answers again. No second sort (per respondent and sign,
# for the signs' respondent counts): a respondent answered a sign when its bit is set.
_SCAN = """
CREATE TEMPORARY TABLE pmo_scan ON COMMIT DROP AS
WITH dim_size AS (
    SELECT dimension_id, count(*) AS n_items
    FROM assessments_item WHERE version_id = %(version)s GROUP BY dimension_id
)
SELECT g.respondent_id, g.role_level, g.department, g.dimension_id, g.sign,
       g.total, g.squares, g.answered, g.signs,
       CASE WHEN ds.n_items IS NOT NULL AND g.answered >= GREATEST(1, ceil(%(share)s * ds.n_items))
            THEN g.wsum / g.weight END AS score
FROM (
    SELECT respondent_id, role_level, department, dimension_id, sign,
           sum(points * weight) AS wsum, sum(weight) AS weight,
           sum(points) AS total, sum(points * points) AS squares, count(*) AS answered,
           bit_or(1 << sign) AS signs
    FROM (
        SELECT a.respondent_id, r.role_level, r.department, i.dimension_id, i.sign,
               i.weight::float8 AS weight,
               ((CASE WHEN i.reverse THEN 5 - a.value ELSE a.value - 1 END) * 25)::float8 AS points
        FROM assessments_answer a
        JOIN assessments_item i ON i.id = a.item_id
        JOIN assessments_respondent r ON r.id = a.respondent_id
        WHERE r.campaign_id = %(campaign)s AND r.completed_at IS NOT NULL
              AND a.value IS NOT NULL AND i.version_id = %(version)s
    ) AS answers
    GROUP BY GROUPING SETS (
        (respondent_id, role_level, department, dimension_id), (respondent_id), (sign)
    )
) AS g
LEFT JOIN dim_size ds ON ds.dimension_id = g.dimension_id
"""

# The respondents' overall scores (the mean of their dimension scores, when they have enough),
# with their segments.
_OVERALL = """
CREATE TEMPORARY TABLE pmo_overall ON COMMIT DROP AS
SELECT respondent_id, role_level, department, avg(score) AS score
FROM pmo_scan WHERE score IS NOT NULL
GROUP BY respondent_id, role_level, department
HAVING count(*) >= ceil(
    (SELECT count(DISTINCT dimension_id) FROM assessments_item WHERE version_id = %(version)s)
    / 2.0)
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


def _distribution(n, mean, sd, quartiles, histogram) -> dict:
    return {
        "n": n,
        "mean": _round(mean),
        "sd": _round(sd),
        "quartiles": [_round(q) for q in quartiles] if quartiles else [None, None, None],
        "histogram": list(histogram),
    }


_SEGMENTS = ("role_level", "department")
# The respondents who answered sign 1, 2, ... 9 (the signs an item may have), in one pass.
_SIGN_BITS = ", ".join(f"sum((signs >> {n}) & 1) AS s{n}" for n in range(1, 10))
_SIGN_COLUMNS = ", ".join(f"s{n}" for n in range(1, 10))


def campaign_aggregates(*, campaign_id: int, version_id: int, min_answered_share: float) -> dict:
    """Raw aggregates for one campaign (confidentiality is applied by the report builder)."""
    params = {"campaign": campaign_id, "version": version_id, "share": min_answered_share}

    with connection.cursor() as cursor:
        for setting in BUILD_SETTINGS:
            cursor.execute(setting)
        cursor.execute("DROP TABLE IF EXISTS pmo_scan, pmo_overall")
        cursor.execute(_SCAN, params)
        cursor.execute(_OVERALL, params)

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
    for dimension_id, *values in _rows(
        f"""
        SELECT dimension_id, count(*), avg(score), stddev_pop(score),
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY score),
               {_HISTOGRAM}
        FROM pmo_scan WHERE score IS NOT NULL GROUP BY dimension_id
        """,
        params,
    ):
        n, mean, sd, quartiles, *histogram = values
        dimensions[dimension_id] = _distribution(n, mean, sd, quartiles, histogram)

    n, mean, sd, quartiles, *histogram = _rows(
        f"""
        SELECT count(*), avg(score), stddev_pop(score),
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY score),
               {_HISTOGRAM}
        FROM pmo_overall
        """,
        params,
    )[0]
    respondents = _distribution(n, mean, sd, quartiles, histogram)

    # Per sign: the sums of its answers (hashed in the scan) and the respondents whose bit is set.
    signs = {
        sign: {
            "n": respondents_n,
            "mean": _round(total / answered),
            "sd": _round(max(0.0, squares / answered - (total / answered) ** 2) ** 0.5),
        }
        for sign, respondents_n, total, squares, answered in _rows(
            f"""
            WITH answered AS MATERIALIZED (
                SELECT {_SIGN_BITS} FROM pmo_scan
                WHERE dimension_id IS NULL AND respondent_id IS NOT NULL
            )
            SELECT s.sign, (ARRAY[{_SIGN_COLUMNS}])[s.sign], s.total, s.squares, s.answered::int
            FROM pmo_scan s, answered WHERE s.respondent_id IS NULL
            """,
            params,
        )
    }

    # Both segmentations at once: the completed respondents per group, then each group's cells
    # (per dimension, and overall); each cell keeps its own count, as a group can be large while
    # a cell rests on few people.
    segments: dict[str, dict] = {attribute: {} for attribute in _SEGMENTS}
    for by_role, role_level, department, n in _rows(
        """
        SELECT GROUPING(role_level), role_level, department, count(*)
        FROM assessments_respondent
        WHERE campaign_id = %(campaign)s AND completed_at IS NOT NULL
        GROUP BY GROUPING SETS ((role_level), (department))
        """,
        params,
    ):
        attribute, value = ("department", department) if by_role else ("role_level", role_level)
        segments[attribute][value] = {"n": n, "dimensions": {}, "overall": None, "overall_n": 0}
    for by_role, role_level, department, dimension_id, mean, n in _rows(
        """
        SELECT 0, role_level, NULL, dimension_id, avg(score), count(*)
        FROM pmo_scan WHERE score IS NOT NULL GROUP BY role_level, dimension_id
        UNION ALL
        SELECT 1, NULL, department, dimension_id, avg(score), count(*)
        FROM pmo_scan WHERE score IS NOT NULL GROUP BY department, dimension_id
        UNION ALL
        SELECT GROUPING(role_level), role_level, department, NULL, avg(score), count(*)
        FROM pmo_overall
        GROUP BY GROUPING SETS ((role_level), (department))
        """,
        params,
    ):
        attribute, value = ("department", department) if by_role else ("role_level", role_level)
        group = segments[attribute][value]
        if dimension_id is None:
            group["overall"] = _round(mean)
            group["overall_n"] = n
        else:
            group["dimensions"][dimension_id] = (_round(mean), n)

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
