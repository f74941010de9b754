"""Privacy rights (docs/privacy.md): a person's data exported and erased by the firm (by email,
across its campaigns and leads), erased by the respondent from their own link, and erased by
retention once a closed campaign is old enough (`campaign_identities_erase`, exactly once).

Erasing a respondent row (`_erase`):
- its identity goes in every case: email, name, the link (the token's salt and hash: the link
  stops working), the personal result, consent and follow-up choice, and its email log;
- in a campaign whose figures are final (closed or reported: its report snapshot is what the
  client sees) the row stays, anonymous, with its answers and the segment attributes reports group
  by (role level, department), so a rebuild of the report gives the same numbers;
- in any other campaign (draft, scheduled, open) the row is deleted with its answers.

Audit entries carry counts only, never the email address or a hash of it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Firm, User
from accounts.services import audit, webhook_events_forget

from .. import selectors
from ..error_codes import AssessmentsErrorCode as Code
from ..models import (
    RETENTION_MONTHS_RANGE,
    Answer,
    Campaign,
    EmailLog,
    PrivacySettings,
    Respondent,
    Source,
)

# What an erased row's token hash becomes: unique (it holds the row id) and never the SHA-256 of
# a token (that is 64 hex digits, without a colon), so no link finds the row again.
ERASED_TOKEN_PREFIX = "erased:"


def _nothing_to_erase() -> ValidationError:
    return ValidationError(
        _("Nothing is stored about this email address."), code=Code.NOTHING_TO_ERASE
    )


def _erase(*, firm: Firm, ids: list[int]) -> dict:
    """Erase the identities of these (locked) respondent rows, and what stored webhook events
    say about them; the counts, for the audit."""
    rows = Respondent.objects.filter(pk__in=ids)
    # What a report of a final campaign counts: every invited row (the response rate) and every
    # completed one (the scores). Answers of an unfinished survey count nowhere.
    keep = list(
        rows.filter(campaign__status__in=selectors.FINAL_STATUSES)
        .filter(Q(source=Source.INVITED) | Q(completed_at__isnull=False))
        .values_list("id", flat=True)
    )
    drop = sorted(set(ids) - set(keep))
    kept_answers = Answer.objects.filter(
        respondent_id__in=keep, respondent__completed_at__isnull=False
    )
    counts = {
        "respondents": len(ids),
        "campaigns": rows.values("campaign_id").distinct().count(),
        "leads": rows.filter(source=Source.OPEN_LINK).exclude(email="").count(),
        "anonymised": len(keep),
        "deleted": len(drop),
        "answers_kept": kept_answers.count(),
        "answers_deleted": Answer.objects.filter(respondent_id__in=ids).count()
        - kept_answers.count(),
        "email_logs_deleted": EmailLog.objects.filter(respondent_id__in=ids).count(),
    }
    EmailLog.objects.filter(respondent_id__in=ids).delete()
    Answer.objects.filter(respondent_id__in=keep, respondent__completed_at__isnull=True).delete()
    Respondent.objects.filter(pk__in=drop).delete()  # with their answers
    Respondent.objects.filter(pk__in=keep).update(
        email="",
        name="",
        token_salt="",
        token_hash=Concat(Value(ERASED_TOKEN_PREFIX), Cast("id", output_field=CharField())),
        result=None,
        consent_at=None,
        followup_opt_in=False,
        erased_at=timezone.now(),
    )
    webhook_events_forget(firm=firm, respondent_ids=ids)
    return counts


@transaction.atomic
def person_erase(*, firm: Firm, actor: User, email: str) -> dict:
    """Erase everything the firm holds that identifies the person with this email."""
    ids = list(
        selectors.person_respondents(firm=firm, email=email)
        .select_for_update()
        .values_list("id", flat=True)
    )
    if not ids:
        raise _nothing_to_erase()
    counts = _erase(firm=firm, ids=ids)
    audit(firm=firm, actor=actor, action="privacy.person_erased", **counts)
    return counts


@transaction.atomic
def respondent_erase(*, firm: Firm, respondent: Respondent) -> dict:
    """The respondent's own request, from their link: erase this one record."""
    locked = list(
        Respondent.objects.select_for_update()
        .filter(pk=respondent.pk, erased_at__isnull=True)
        .values_list("id", flat=True)
    )
    if not locked:
        raise _nothing_to_erase()
    counts = _erase(firm=firm, ids=locked)
    audit(
        firm=firm,
        actor=None,
        action="privacy.respondent_erased",
        target=respondent.campaign,
        **counts,
    )
    return counts


@transaction.atomic
def person_export(*, firm: Firm, actor: User, email: str) -> dict:
    """Everything the firm holds about the person, as JSON data; the export is audited."""
    data = selectors.person_export(firm=firm, email=email)
    audit(
        firm=firm,
        actor=actor,
        action="privacy.person_exported",
        records=len(data["records"]),
    )
    return data


# --- Retention ----------------------------------------------------------------------------------


@transaction.atomic
def privacy_settings_update(*, firm: Firm, actor: User, retention_months: int) -> PrivacySettings:
    low, high = RETENTION_MONTHS_RANGE
    if not low <= retention_months <= high:
        raise ValidationError(
            {
                "retention_months": ValidationError(
                    _("Choose between %(low)s and %(high)s months."),
                    code=Code.RETENTION_OUT_OF_RANGE,
                    params={"low": low, "high": high},
                )
            }
        )
    current, _created = PrivacySettings.objects.select_for_update().get_or_create(firm=firm)
    current.retention_months = retention_months
    current.save()
    audit(
        firm=firm,
        actor=actor,
        action="privacy_settings.updated",
        target=current,
        retention_months=retention_months,
    )
    return current


@transaction.atomic
def campaign_identities_erase(*, firm: Firm, campaign_id: int) -> dict | None:
    """Erase every respondent identity of a closed campaign whose retention period has passed,
    exactly once: the conditional UPDATE of `identities_erased_at` claims the campaign (a second
    run, or one racing it, updates nothing and does nothing). None when not due."""
    now = timezone.now()
    claimed = selectors.campaign_due_for_erasure(
        firm=firm, campaign_id=campaign_id, now=now
    ).update(identities_erased_at=now)
    if not claimed:
        return None
    campaign = Campaign.objects.get(pk=campaign_id)
    ids = list(
        Respondent.objects.select_for_update()
        .filter(campaign=campaign, erased_at__isnull=True)
        .values_list("id", flat=True)
    )
    counts = _erase(firm=firm, ids=ids) if ids else {"respondents": 0}
    audit(
        firm=firm,
        actor=None,
        action="privacy.retention_erased",
        target=campaign,
        retention_months=selectors.privacy_settings(firm=firm).retention_months,
        **counts,
    )
    return counts
