"""The survey autosave's fast path: one answer saved through the personal link in one prepared
statement (`survey.ANSWER_UPSERT_BY_LINK`, the statement `answer_save` runs keyed by the
link instead of the respondent), with no read before it (bench/autosave.py, docs/scaling.md).

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
from .survey import ANSWER_UPSERT_BY_LINK


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
            ANSWER_UPSERT_BY_LINK,
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
    return (row[1], row[2]) if row is not None else None
