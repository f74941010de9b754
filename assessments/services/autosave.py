"""The survey autosave's fast path: one answer saved through the personal link in one prepared
statement, with no read before it (bench/autosave.py, docs/scaling.md).

`answer_save_by_link` finds the respondent by the link's token hash inside the firm (the firm
filter as the scoped ORM writes it, RLS checks it again), locks its row, checks that it is still
answering, the campaign open and the item part of its version, upserts the answer, stamps
`started_at`, freezes the instrument version and counts the answers: everything `answer_save`
does, keyed by the token instead of a loaded respondent. When nothing is saved (an unknown
link, a submitted respondent, a closed campaign, an item of another version) it returns None and
writes nothing; the caller then takes the ordinary path (`access_respondent_for_answer`, then
`answer_save`), which gives the same refusal as before, in the respondent's language.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Firm
from accounts.selectors import hash_token
from pmo_platform.prepared import prepared_cursor

from ..models import CampaignStatus

# Every parameter is cast, so one prepared statement fits every call (pmo_platform/prepared.py).
_SAVE_BY_LINK = """
WITH target AS (
    SELECT r.id, c.version_id, r.language, c.default_language
    FROM assessments_respondent r
    JOIN assessments_campaign c ON c.id = r.campaign_id AND c.firm_id = %(firm)s::bigint
    JOIN assessments_item i ON i.id = %(item)s::bigint AND i.version_id = c.version_id
        AND i.firm_id = %(firm)s::bigint
    WHERE r.token_hash = %(token_hash)s::varchar AND r.firm_id = %(firm)s::bigint
        AND r.completed_at IS NULL
        AND c.status = %(open)s::varchar AND c.closes_at > %(now)s::timestamptz
    FOR UPDATE OF r
), saved AS (
    INSERT INTO assessments_answer (firm_id, respondent_id, item_id, value, updated_at)
    SELECT %(firm)s::bigint, id, %(item)s::bigint, %(value)s::smallint, %(now)s::timestamptz
    FROM target
    ON CONFLICT ON CONSTRAINT answer_unique
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
    RETURNING respondent_id
), started AS (
    UPDATE assessments_respondent SET started_at = %(now)s::timestamptz
    WHERE id IN (SELECT id FROM target) AND firm_id = %(firm)s::bigint AND started_at IS NULL
), frozen AS (
    UPDATE assessments_instrumentversion SET frozen_at = %(now)s::timestamptz
    WHERE id IN (SELECT version_id FROM target) AND firm_id = %(firm)s::bigint
        AND frozen_at IS NULL
)
SELECT 1 + (
    SELECT count(*) FROM assessments_answer a
    WHERE a.firm_id = %(firm)s::bigint AND a.respondent_id = saved.respondent_id
        AND a.item_id <> %(item)s::bigint
), coalesce(nullif(target.language, ''), target.default_language)
FROM saved, target
"""


# No savepoint of its own: the statement is atomic by itself, and it runs inside the firm
# scope's transaction (a transaction of its own when called outside one).
@transaction.atomic(savepoint=False)
def answer_save_by_link(
    *, firm: Firm, token: str, item_id: int, value: int | None
) -> tuple[int, str] | None:
    """Save one answer through the personal link (`None` is "don't know"): how many statements
    the respondent has answered now and the survey's language, or None when nothing was saved.
    """
    if not token or len(token) > 64 or (value is not None and not 1 <= value <= 5):
        return None
    with prepared_cursor() as cursor:
        cursor.execute(
            _SAVE_BY_LINK,
            {
                "firm": firm.pk,
                "token_hash": hash_token(token),
                "item": item_id,
                "value": value,
                "open": CampaignStatus.OPEN.value,
                "now": timezone.now(),
            },
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else None
