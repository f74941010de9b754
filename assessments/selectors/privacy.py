"""Reads for privacy rights (docs/privacy.md): everything the firm holds about one person, found
by email across its campaigns and leads (the summary page and the JSON export), the firm's
retention setting, and which closed campaigns are due for erasure by retention (the one
cross-firm read, ids only, for the beat task).

A person's records are the firm's respondent rows with that email: invited respondents and
open-link leads alike, each with its answers and its email log. The firm's scope (both walls)
keeps every read to the current firm."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from accounts.models import ClientExecutive, Firm, Membership

from ..models import (
    DEFAULT_RETENTION_MONTHS,
    EMAIL_DELIVERED,
    Answer,
    Campaign,
    CampaignStatus,
    EmailLog,
    PrivacySettings,
    Respondent,
    Source,
    localized,
)

# Campaigns whose figures are final: their report snapshot is what the client sees (or is being
# built from them at closing). Erasure keeps their anonymous answers so a rebuild stays the same.
FINAL_STATUSES = (CampaignStatus.CLOSED, CampaignStatus.REPORTED)

EXPORT_FORMAT = "pmo-platform/personal-data/1"


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def erasure_keeps_answers(*, campaign: Campaign) -> bool:
    """Whether erasing a respondent of `campaign` keeps their (then anonymous) answers."""
    return campaign.status in FINAL_STATUSES


def person_respondents(*, firm: Firm, email: str) -> QuerySet[Respondent]:
    """The firm's respondent rows (invited and open-link leads) with this email, not erased."""
    email = normalise_email(email)
    if not email:
        return Respondent.objects.none()
    return (
        Respondent.objects.alias(email_lower=Lower("email"))
        .filter(firm=firm, email_lower=email, erased_at__isnull=True)
        .order_by("created_at", "id")
    )


def person_access(*, firm: Firm, email: str) -> dict:
    """The person's user access to this firm (a membership, client-executive grants). Erasure
    leaves these alone: access is removed on the team and client pages, and the account is the
    person's own (docs/privacy.md)."""
    email = normalise_email(email)
    membership = (
        Membership.objects.filter(user__email__iexact=email).values_list("role", flat=True).first()
        if email
        else None
    )
    clients = (
        list(
            ClientExecutive.objects.filter(user__email__iexact=email)
            .order_by("client__name")
            .values_list("client__name", flat=True)
        )
        if email
        else []
    )
    return {"member_role": membership or "", "executive_of": clients}


def person_summary(*, firm: Firm, email: str) -> dict:
    """What the privacy page shows before an export or erasure: counts and the campaigns."""
    records = list(
        person_respondents(firm=firm, email=email)
        .select_related("campaign", "campaign__client")
        .annotate(
            answer_count=Count("answers", distinct=True),
            # emails that went out (a queued or failed one was never sent to the person)
            email_count=Count(
                "emails", filter=Q(emails__status__in=EMAIL_DELIVERED), distinct=True
            ),
        )
    )
    campaigns = {r.campaign_id: r.campaign for r in records}
    return {
        "email": normalise_email(email),
        "records": records,
        "campaigns": list(campaigns.values()),
        "responses": sum(1 for r in records if r.completed_at is not None),
        "leads": sum(1 for r in records if r.source == Source.OPEN_LINK),
        "answers": sum(r.answer_count for r in records),
        "emails": sum(r.email_count for r in records),
        "kept": sum(1 for r in records if erasure_keeps_answers(campaign=r.campaign)),
        "access": person_access(firm=firm, email=email),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person_export(*, firm: Firm, email: str) -> dict:
    """Everything the firm holds about the person, as plain JSON data (the "Download JSON")."""
    records = list(
        person_respondents(firm=firm, email=email).select_related(
            "campaign", "campaign__client", "campaign__version__instrument"
        )
    )
    ids = [r.pk for r in records]
    languages = {r.pk: r.language for r in records}
    answers: dict[int, list] = {pk: [] for pk in ids}
    for answer in (
        Answer.objects.filter(respondent_id__in=ids)
        .select_related("item", "item__dimension")
        .order_by("respondent_id", "item__order")
    ):
        language = languages[answer.respondent_id]
        answers[answer.respondent_id].append(
            {
                "statement": localized(answer.item, "text", language),
                "dimension": localized(answer.item.dimension, "name", language),
                "value": answer.value,  # 1-5 on the agreement scale; null is "don't know"
                "updated_at": _iso(answer.updated_at),
            }
        )
    emails: dict[int, list] = {pk: [] for pk in ids}
    for log in EmailLog.objects.filter(respondent_id__in=ids).order_by("sent_at", "id"):
        emails[log.respondent_id].append(
            {"kind": log.kind, "sequence": log.sequence, "sent_at": _iso(log.sent_at)}
        )
    return {
        "format": EXPORT_FORMAT,
        "firm": firm.name,
        "email": normalise_email(email),
        "records": [_record(r, answers[r.pk], emails[r.pk]) for r in records],
        "access": person_access(firm=firm, email=email),
    }


def _record(respondent: Respondent, answers: list, emails: list) -> dict:
    campaign = respondent.campaign
    return {
        "campaign": {
            "name": campaign.name,
            "client": campaign.client.name,
            "status": campaign.status,
            "instrument": str(campaign.version),
            "closes_at": _iso(campaign.closes_at),
        },
        "source": respondent.source,
        "email": respondent.email,
        "name": respondent.name,
        "language": respondent.language,
        "role_level": respondent.role_level,
        "department": respondent.department,
        "created_at": _iso(respondent.created_at),
        "invited_at": _iso(respondent.sent_at),
        "opened_at": _iso(respondent.opened_at),
        "started_at": _iso(respondent.started_at),
        "completed_at": _iso(respondent.completed_at),
        "bounced_at": _iso(respondent.bounced_at),
        "reminders_sent": respondent.reminders_sent,
        "consent_at": _iso(respondent.consent_at),
        "followup_opt_in": respondent.followup_opt_in,
        "unsubscribed_at": _iso(respondent.unsubscribed_at),
        "result": respondent.result,
        "answers": answers,
        "emails": emails,
    }


# --- Retention ----------------------------------------------------------------------------------


def privacy_settings(*, firm: Firm) -> PrivacySettings:
    """The firm's privacy settings; the defaults (unsaved) when it never changed them."""
    return PrivacySettings.objects.filter(firm=firm).first() or PrivacySettings(firm=firm)


class MonthsInterval(Func):
    """PostgreSQL `make_interval(months => n)`: calendar months, as the setting says."""

    function = "make_interval"
    template = "make_interval(months => %(expressions)s)"
    output_field = DurationField()


def _due_for_erasure(now: datetime) -> QuerySet[Campaign]:
    months = Coalesce(
        Subquery(
            PrivacySettings.objects.filter(firm=OuterRef("firm")).values("retention_months")[:1]
        ),
        Value(DEFAULT_RETENTION_MONTHS),
    )
    erase_after = ExpressionWrapper(
        F("closed_at") + MonthsInterval(months), output_field=DateTimeField()
    )
    return (
        Campaign.objects.filter(
            status__in=FINAL_STATUSES, closed_at__isnull=False, identities_erased_at__isnull=True
        )
        .alias(erase_after=erase_after)
        .filter(erase_after__lte=now)
    )


def campaign_due_for_erasure(*, firm: Firm, campaign_id: int, now: datetime) -> QuerySet[Campaign]:
    """The campaign, when its retention period has passed and it is not yet erased (empty
    otherwise); the erasure claims it by updating this queryset."""
    return _due_for_erasure(now).filter(pk=campaign_id)


def campaigns_due_for_erasure(*, now: datetime) -> list[tuple[int, int]]:
    """(firm id, campaign id) of every closed campaign, in every firm, whose retention period has
    passed. Platform-level: the caller runs it inside `all_firms()` (the beat task); ids only."""
    return list(_due_for_erasure(now).values_list("firm_id", "id").order_by("id"))
