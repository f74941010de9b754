"""Writes of the respondent's side: opening the link, saving answers as they are given,
submitting (the personal result), the open "take the test" link and its leads, the survey
language and unsubscribing from follow-ups."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Firm, Language, WebhookEventType
from accounts.services import audit, emit_event
from pmo_platform.text import check_single_line

from .. import selectors, webhook_payloads
from ..error_codes import AssessmentsErrorCode as Code
from ..links import respondent_token
from ..models import Answer, Campaign, CampaignStatus, EmailKind, Respondent, Source
from ..respondent_csv import validate_email_address
from ..signals import response_completed
from .emails import enqueue_respondent_email
from .respondents import new_respondent


def _already_submitted() -> ValidationError:
    return ValidationError(
        _("Your answers have already been submitted."), code=Code.ALREADY_SUBMITTED
    )


def _closed() -> ValidationError:
    return ValidationError(_("This assessment is closed."), code=Code.ASSESSMENT_CLOSED)


def invalid_answer() -> ValidationError:
    """The error for an answer off the scale (also raised by the survey views' parsing)."""
    return ValidationError(
        {
            "value": ValidationError(
                _("Choose one of the five answers or “don't know”."), code=Code.INVALID_ANSWER
            )
        }
    )


def _lock_respondent(respondent: Respondent) -> None:
    """Lock the respondent's row for the rest of the transaction and refresh what answering
    depends on, so a parallel submit or autosave waits and then sees the other's outcome."""
    locked = (
        Respondent.objects.select_for_update(of=("self",))
        .only("completed_at", "result", "followup_opt_in")
        .get(pk=respondent.pk)
    )
    respondent.completed_at = locked.completed_at
    respondent.result = locked.result
    respondent.followup_opt_in = locked.followup_opt_in


def _check_answering(respondent: Respondent) -> None:
    _lock_respondent(respondent)
    if respondent.completed_at is not None:
        raise _already_submitted()
    if not respondent.campaign.accepts_answers:
        raise _closed()


@transaction.atomic
def respondent_opened(*, respondent: Respondent) -> None:
    Respondent.objects.filter(pk=respondent.pk, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )


# One statement per autosave: lock the respondent's row (a parallel submit waits, and an answer
# never lands after `completed_at`), check that the respondent is still answering, the campaign
# open and the item part of its version, upsert the answer, stamp `started_at` and freeze the
# instrument version; and count the respondent's answers (the others, as the statement's snapshot
# sees them, plus this one) and give the survey's language. Firm filters as the scoped ORM writes
# them (RLS checks them again). The respondent is found by id (`answer_save`) or by the link's
# token hash (`answer_save_by_link`, the autosave's fast path). Every parameter is cast, so one
# prepared statement fits every call (pmo_platform/prepared.py).
_ANSWER_UPSERT = """
WITH target AS (
    SELECT r.id, c.version_id, coalesce(nullif(r.language, ''), c.default_language) AS language
    FROM assessments_respondent r
    JOIN assessments_campaign c ON c.id = r.campaign_id AND c.firm_id = %(firm)s::bigint
    JOIN assessments_item i ON i.id = %(item)s::bigint AND i.version_id = c.version_id
        AND i.firm_id = %(firm)s::bigint
    WHERE {respondent} AND r.firm_id = %(firm)s::bigint AND r.completed_at IS NULL
        AND c.status = %(open)s::varchar AND c.closes_at > %(now)s::timestamptz
    FOR UPDATE OF r
), saved AS (
    INSERT INTO assessments_answer (firm_id, respondent_id, item_id, value, updated_at)
    SELECT %(firm)s::bigint, id, %(item)s::bigint, %(value)s::smallint, %(now)s::timestamptz
    FROM target
    ON CONFLICT ON CONSTRAINT answer_unique
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
    RETURNING id, respondent_id
), started AS (
    UPDATE assessments_respondent SET started_at = %(now)s::timestamptz
    WHERE id IN (SELECT id FROM target) AND firm_id = %(firm)s::bigint AND started_at IS NULL
), frozen AS (
    UPDATE assessments_instrumentversion SET frozen_at = %(now)s::timestamptz
    WHERE id IN (SELECT version_id FROM target) AND firm_id = %(firm)s::bigint
        AND frozen_at IS NULL
)
SELECT saved.id, 1 + (
    SELECT count(*) FROM assessments_answer a
    WHERE a.firm_id = %(firm)s::bigint AND a.respondent_id = saved.respondent_id
        AND a.item_id <> %(item)s::bigint
), target.language
FROM saved, target
"""
ANSWER_UPSERT_BY_ID = _ANSWER_UPSERT.format(respondent="r.id = %(respondent)s::bigint")
ANSWER_UPSERT_BY_LINK = _ANSWER_UPSERT.format(respondent="r.token_hash = %(token_hash)s::varchar")


@transaction.atomic
def answer_save(*, firm: Firm, respondent: Respondent, item_id: int, value: int | None) -> Answer:
    """Save one answer as it is given; `None` is "don't know". One SQL statement when it is
    saved; the reason is looked up only when it is not. The answer returned carries
    `answered`: how many statements the respondent has answered now."""
    campaign = respondent.campaign
    if value is not None and not 1 <= value <= 5:
        _check_answering(respondent)  # "already submitted" or "closed" comes first
        raise invalid_answer()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            ANSWER_UPSERT_BY_ID,
            {
                "firm": firm.pk,
                "respondent": respondent.pk,
                "item": item_id,
                "value": value,
                "open": CampaignStatus.OPEN.value,
                "now": now,
            },
        )
        row = cursor.fetchone()
    if row is None:
        _check_answering(respondent)
        if not selectors.item_in_version(item_id=item_id, version_id=campaign.version_id):
            raise ValidationError(
                {
                    "item": ValidationError(
                        _("This question is not part of the assessment."),
                        code=Code.ITEM_NOT_IN_ASSESSMENT,
                    )
                }
            )
        raise _closed()  # closed between the statement and the check
    answer = Answer(
        pk=row[0], firm=firm, respondent=respondent, item_id=item_id, value=value, updated_at=now
    )
    answer.answered = row[1]
    return answer


@transaction.atomic
def respondent_submit(*, firm: Firm, respondent: Respondent, followup_opt_in: bool = False) -> dict:
    campaign = respondent.campaign
    _check_answering(respondent)
    unanswered = selectors.unanswered_count(respondent=respondent)
    if unanswered:
        raise ValidationError(
            ngettext(
                "Please answer the last statement (“don't know” is an answer too).",
                "Please answer the remaining %(count)s statements (“don't know” is an answer too).",
                unanswered,
            ),
            code=Code.ANSWERS_MISSING,
            params={"count": unanswered},
        )
    result = selectors.personal_result(respondent=respondent)
    claimed = Respondent.objects.filter(pk=respondent.pk, completed_at__isnull=True).update(
        completed_at=timezone.now(), result=result, followup_opt_in=followup_opt_in
    )
    if not claimed:
        raise _already_submitted()
    respondent.refresh_from_db()
    if respondent.email:
        _enqueue_result_email(firm=firm, respondent=respondent)
    emit_event(
        firm=firm,
        event_type=WebhookEventType.RESPONSE_COMPLETED,
        payload=lambda: webhook_payloads.response_completed(
            campaign=campaign,
            respondent=respondent,
            counts=selectors.campaign_response_counts(campaign=campaign),
        ),
    )
    response_completed.send(sender=Campaign, firm=firm, campaign=campaign)
    return result


@transaction.atomic
def survey_post(
    *,
    firm: Firm,
    respondent: Respondent,
    answers: dict[int, int | None],
    submit: bool,
    followup_opt_in: bool = False,
) -> None:
    """The whole survey form at once (the no-JavaScript path): every answer, then the submit
    when asked. One transaction: a bad answer or a failed submit writes nothing at all."""
    for item_id, value in answers.items():
        answer_save(firm=firm, respondent=respondent, item_id=item_id, value=value)
    if submit:
        respondent_submit(firm=firm, respondent=respondent, followup_opt_in=followup_opt_in)


def _enqueue_result_email(*, firm: Firm, respondent: Respondent) -> None:
    enqueue_respondent_email(
        firm=firm, respondent_id=respondent.pk, kind=EmailKind.RESULT, sequence=0
    )


@transaction.atomic
def open_link_start(*, firm: Firm, campaign: Campaign, language: str) -> tuple[Respondent, str]:
    if not campaign.open_link_token or not campaign.accepts_answers:
        raise _closed()
    respondent = new_respondent(
        firm=firm,
        campaign=campaign,
        language=language,
        source=Source.OPEN_LINK,
        opened_at=timezone.now(),
    )
    respondent.save()
    return respondent, respondent_token(respondent)


def _email_already_used() -> ValidationError:
    return ValidationError(
        {
            "email": ValidationError(
                _("This address has already received results for this test."),
                code=Code.EMAIL_ALREADY_USED,
            )
        }
    )


def _results_already_sent() -> ValidationError:
    return ValidationError(
        _("Your results have already been sent."), code=Code.RESULTS_ALREADY_SENT
    )


@transaction.atomic
def lead_capture(
    *,
    firm: Firm,
    respondent: Respondent,
    email: str,
    name: str,
    consent: bool,
    followup_opt_in: bool,
) -> None:
    """An open-link test-taker leaves an email (with consent) to get the results and tips."""
    if respondent.source != Source.OPEN_LINK or respondent.completed_at is None:
        raise ValidationError(_("Finish the assessment first."), code=Code.NOT_FINISHED)
    if respondent.email:
        raise _results_already_sent()
    if not consent:
        raise ValidationError(
            {
                "consent": ValidationError(
                    _("We need your consent to email you the results."),
                    code=Code.CONSENT_REQUIRED,
                )
            }
        )
    email = email.strip().lower()
    validate_email_address(email)
    name = check_single_line("name", name, max_length=150)
    if selectors.campaign_has_email(campaign=respondent.campaign, email=email):
        # The same person took the open test before: keep the earlier answers' row unique.
        raise _email_already_used()
    try:
        with transaction.atomic():
            claimed = Respondent.objects.filter(pk=respondent.pk, email="").update(
                email=email,
                name=name,
                consent_at=timezone.now(),
                followup_opt_in=followup_opt_in,
            )
    except IntegrityError:
        raise _email_already_used() from None
    if not claimed:  # a second submission of the same form
        raise _results_already_sent()
    respondent.refresh_from_db()
    audit(
        firm=firm,
        actor=None,
        action="lead.captured",
        target=respondent,
        campaign_id=respondent.campaign_id,
    )
    _enqueue_result_email(firm=firm, respondent=respondent)
    emit_event(
        firm=firm,
        event_type=WebhookEventType.LEAD_CREATED,
        payload=lambda: webhook_payloads.lead_created(respondent=respondent),
    )


@transaction.atomic
def respondent_set_language(*, respondent: Respondent, language: str) -> None:
    if language not in Language.values:
        raise ValidationError(
            {
                "language": ValidationError(
                    _("Choose English or Swedish."), code=Code.INVALID_LANGUAGE
                )
            }
        )
    Respondent.objects.filter(pk=respondent.pk).update(language=language)
    respondent.language = language


@transaction.atomic
def respondent_unsubscribe(*, respondent: Respondent) -> None:
    Respondent.objects.filter(pk=respondent.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now(), followup_opt_in=False
    )
