"""Reads of the campaign page: its live figures (totals, by role level and by department) and
its list of respondents, a page at a time. Each is a constant number of queries whatever the
campaign's size; the figures read counters kept per segment (`CampaignRespondentCount`), and a
page of the list is an index range wherever it starts (the indexes in
`models.RESPONDENT_LIST_INDEXES`; bench/campaign_page.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Field, Func, QuerySet, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext_lazy as _

from accounts.models import Firm

from ..models import Campaign, Respondent, RoleLevel, Source, respondent_status_filter
from .campaigns import _rate

# The department table shows the largest departments; the rest are one "other" row.
TOP_DEPARTMENTS = 10
PAGE_SIZE = 50
# The list's order, ending in a unique key (a keyset cursor is a row's values of these).
LIST_ORDER = ("email", "id")


# Every figure from the campaign's segment counters (`CampaignRespondentCount`, kept by triggers
# on the respondents, migration 0015): the totals (the empty grouping set), each role level and
# each department, in one query over at most (role levels x departments) rows, however many
# respondents the campaign has. Raw SQL for GROUPING SETS, which the ORM cannot write; the
# firm's row-level security applies to it as to any query, and it names the firm as well.
_STATS = """
SELECT GROUPING(role_level) AS no_role, GROUPING(department) AS no_department,
       role_level, department,
       COALESCE(SUM(invited), 0) AS invited, COALESCE(SUM(completed), 0) AS completed,
       COALESCE(SUM(open_link), 0) AS open_link, COALESCE(SUM(queued), 0) AS queued,
       COALESCE(SUM(sent), 0) AS sent, COALESCE(SUM(opened), 0) AS opened,
       COALESCE(SUM(started), 0) AS started, COALESCE(SUM(bounced), 0) AS bounced
FROM assessments_campaignrespondentcount
WHERE firm_id = %s AND campaign_id = %s
GROUP BY GROUPING SETS ((), (role_level), (department))
"""
TOTALS = ("invited", "open_link", "queued", "sent", "opened", "started", "completed", "bounced")


def campaign_stats(*, campaign: Campaign) -> dict:
    """Response rates overall, by role level and by department (the TOP_DEPARTMENTS largest and
    one row for the others), and invitation statuses: one query over the segment counters."""
    with connection.cursor() as cursor:
        cursor.execute(_STATS, [campaign.firm_id, campaign.pk])
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    totals = dict.fromkeys(TOTALS, 0)
    roles, departments = [], []
    for row in rows:
        if row["no_role"] and row["no_department"]:
            totals = {key: row[key] for key in TOTALS}
        elif row["invited"] and not row["no_role"]:
            roles.append(row)
        elif row["invited"]:
            departments.append(row)
    labels = dict(RoleLevel.choices)
    totals["segments"] = [
        _segment(row, "role_level", labels.get(row["role_level"], "—"))
        for row in sorted(roles, key=lambda r: r["role_level"])
    ]
    departments.sort(key=lambda r: (-r["invited"], r["department"]))
    shown = [
        _segment(row, "department", row["department"] or "—")
        for row in departments[:TOP_DEPARTMENTS]
    ]
    rest = departments[TOP_DEPARTMENTS:]
    if rest:
        other = {key: sum(r[key] for r in rest) for key in ("invited", "completed")}
        shown.append(_segment(other | {"department": None}, "department", _("Other departments")))
    totals["departments"] = shown
    totals["rate"] = _rate(totals["completed"], totals["invited"])
    return totals


def _segment(row: dict, key: str, label) -> dict:
    return {
        key: row[key],
        "label": label,
        "invited": row["invited"],
        "completed": row["completed"],
        "rate": _rate(row["completed"], row["invited"]),
    }


@dataclass(frozen=True)
class RespondentFilters:
    """What the campaign page's list is narrowed to; empty means any."""

    search: str = ""  # part of the email, any case
    status: str = ""  # one of models.RESPONDENT_STATUS_CHOICES
    role_level: str = ""
    department: str = ""  # exactly, as stored


@dataclass(frozen=True)
class RespondentPage:
    rows: list[Respondent]
    # The (email, id) of the first and last row: where the previous and next pages begin.
    previous_key: tuple | None
    next_key: tuple | None


def _row(*expressions) -> Func:
    return Func(*expressions, function="", output_field=Field())  # SQL `(a, b)`


def campaign_respondent_page(
    *,
    firm: Firm,
    campaign: Campaign,
    filters: RespondentFilters = RespondentFilters(),
    after: tuple | None = None,
    before: tuple | None = None,
    last: bool = False,
    size: int = PAGE_SIZE,
) -> RespondentPage:
    """One page of `campaign`'s invited respondents in (email, id) order: the first page, the
    one after the row `after` or before the row `before` (keys from a page's `next_key` /
    `previous_key`), or the last one. One query: `(email, id) > (x, y) ORDER BY email, id
    LIMIT size + 1` is a range of the filter's index, so page 1,000 costs what page 1 does."""
    qs = _filtered(campaign, filters)
    key = _row(*(F(name) for name in LIST_ORDER))
    backwards = before is not None or (last and after is None)
    if after is not None:
        qs = qs.filter(GreaterThan(key, _row(*(Value(v) for v in after))))
    elif before is not None:
        qs = qs.filter(LessThan(key, _row(*(Value(v) for v in before))))
    order = [f"-{name}" for name in LIST_ORDER] if backwards else list(LIST_ORDER)
    rows = list(qs.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return RespondentPage(rows=[], previous_key=None, next_key=None)
    first, final = (tuple(getattr(r, n) for n in LIST_ORDER) for r in (rows[0], rows[-1]))
    if backwards:
        return RespondentPage(
            rows=rows, previous_key=first if more else None, next_key=final if before else None
        )
    return RespondentPage(
        rows=rows, previous_key=first if after else None, next_key=final if more else None
    )


def _filtered(campaign: Campaign, filters: RespondentFilters) -> QuerySet[Respondent]:
    qs = Respondent.objects.filter(campaign=campaign, source=Source.INVITED)
    if filters.status:
        qs = qs.filter(respondent_status_filter(filters.status))
    if filters.role_level:
        qs = qs.filter(role_level=filters.role_level)
    if filters.department:
        qs = qs.filter(department=filters.department)
    if filters.search:
        qs = qs.filter(_email_contains(filters.search))
    return qs


def _email_contains(search: str) -> GreaterThan:
    """Part of the email, any case, as `strpos(UPPER(email), UPPER(search)) > 0`. Under the
    tenant policy no index can serve a substring test: PostgreSQL evaluates a condition that is
    not leakproof (LIKE, pg_trgm's operators, strpos) only above the policy's, never as an index
    condition, and hides the column statistics from it. With LIKE the planner then guessed a
    long pattern matches almost nothing and read the whole table; this form gets the default
    one-in-three guess, so the page walks the list's index in order and stops at the 51st match:
    a common part costs what a page costs, a rare one up to one pass over the campaign's index
    (docs/scaling.md, "The campaign page at 100,000 respondents")."""
    return GreaterThan(StrIndex(Upper("email"), Upper(Value(search))), 0)
