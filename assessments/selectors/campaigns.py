"""Reads of campaigns and their respondents (inside the firm's scope), who is due which email,
and which campaigns have timed work (the one cross-firm read, for the sweep)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ClientOrganisation, Firm

from ..models import (
    Campaign,
    CampaignRespondentCount,
    CampaignStatus,
    EmailKind,
    EmailLog,
    EmailStatus,
    Respondent,
    Source,
    respondent_status_filter,
)

# Follow-up tips go out this many days after completion (follow-up 1, 2, 3).
FOLLOWUP_DAYS = (2, 7, 14)


def clients_for_campaigns(*, firm: Firm) -> QuerySet[ClientOrganisation]:
    """The clients a new campaign can be for (not archived)."""
    return ClientOrganisation.objects.filter(archived_at__isnull=True).order_by("name")


def campaign_list(
    *, firm: Firm, client=None, status: str | None = None, counts: bool = True
) -> QuerySet[Campaign]:
    """The firm's campaigns, newest first, optionally of one client and in one status; with
    `counts`, each annotated with `invited` and `completed` (the list page shows them; every
    completed response, open-link ones too), summed from the segment counters."""
    qs = Campaign.objects.select_related("client", "version", "version__instrument")
    if counts:
        qs = qs.annotate(
            invited=_counted(F("invited")), completed=_counted(F("completed") + F("open_link"))
        )
    if client is not None:
        qs = qs.filter(client=client)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def _counted(expression) -> Coalesce:
    """The sum of `expression` over the outer campaign's segment counters (0 without any)."""
    segments = CampaignRespondentCount.objects.filter(campaign=OuterRef("pk")).order_by()
    total = segments.values("campaign").annotate(total=Sum(expression)).values("total")
    return Coalesce(Subquery(total), 0)


def campaign_get(*, firm: Firm, pk: int) -> Campaign | None:
    return (
        Campaign.objects.select_related("client", "version", "version__instrument")
        .filter(pk=pk)
        .first()
    )


def campaign_response_counts(*, campaign: Campaign) -> dict:
    """The campaign's counts for webhook payloads, in one query: invited respondents, those of
    them who completed, completed open-link responses, and the response rate in percent (from
    the segment counters: a completion's webhook does not scan the campaign)."""
    totals = CampaignRespondentCount.objects.filter(campaign=campaign).aggregate(
        invited=Coalesce(Sum("invited"), 0),
        completed=Coalesce(Sum("completed"), 0),
        open_link_completed=Coalesce(Sum("open_link"), 0),
    )
    return totals | {"response_rate": _rate(totals["completed"], totals["invited"])}


def _rate(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def campaign_respondents(*, campaign: Campaign, status: str | None = None) -> QuerySet[Respondent]:
    """The people invited to `campaign` (not open-link takers), optionally in one status."""
    qs = Respondent.objects.filter(campaign=campaign, source=Source.INVITED)
    if status is not None:
        qs = qs.filter(respondent_status_filter(status))
    return qs.order_by("email")


def campaign_respondent_get(*, campaign: Campaign, pk: int) -> Respondent | None:
    """One invited respondent of `campaign`."""
    return campaign_respondents(campaign=campaign).filter(pk=pk).first()


def leads(*, firm: Firm) -> QuerySet[Respondent]:
    return (
        Respondent.objects.filter(source=Source.OPEN_LINK, consent_at__isnull=False)
        .exclude(email="")
        .select_related("campaign", "campaign__client")
        .order_by("-consent_at")
    )


# --- Who is due which email ---------------------------------------------------------------------


def uninvited_ids(*, campaign: Campaign):
    return (
        Respondent.objects.filter(
            campaign=campaign,
            source=Source.INVITED,
            sent_at__isnull=True,
            completed_at__isnull=True,
            unsubscribed_at__isnull=True,
        )
        .exclude(email="")
        .values_list("id", flat=True)
        .order_by("id")
    )


def invitation_count(*, respondent: Respondent) -> int:
    """How many invitations `respondent` has been sent (the next one's sequence number)."""
    return respondent.emails.filter(kind=EmailKind.INVITATION).count()


def reminder_candidates(*, campaign: Campaign, due_only: bool = True):
    qs = Respondent.objects.filter(
        campaign=campaign,
        source=Source.INVITED,
        sent_at__isnull=False,
        completed_at__isnull=True,
        bounced_at__isnull=True,
        unsubscribed_at__isnull=True,
        reminders_sent__lt=campaign.max_reminders,
    )
    if due_only:
        # Reminder k is due k intervals after the invitation.
        interval = Value(
            timedelta(days=campaign.reminder_interval_days), output_field=DurationField()
        )
        due_at = ExpressionWrapper(
            F("sent_at") + interval * (F("reminders_sent") + 1), output_field=DateTimeField()
        )
        qs = qs.annotate(due_at=due_at).filter(due_at__lte=timezone.now())
    return qs


def reminder_recipients(*, campaign: Campaign, due_only: bool = True) -> list[tuple[int, int]]:
    """(respondent id, reminder number) for everyone waiting for a reminder (due now only, or
    all of them for "remind now")."""
    return [
        (pk, sent + 1)
        for pk, sent in reminder_candidates(campaign=campaign, due_only=due_only).values_list(
            "id", "reminders_sent"
        )
    ]


def campaign_email_recipients(*, campaign: Campaign, kind: str) -> list[tuple[int, int]]:
    """(respondent id, sequence) of a campaign-wide send: the invitation to everyone not yet
    invited, or the next reminder to everyone who has not finished."""
    if kind == EmailKind.INVITATION:
        return [(pk, 0) for pk in uninvited_ids(campaign=campaign)]
    return reminder_recipients(campaign=campaign, due_only=False)


def followups_due(*, campaign: Campaign) -> list[tuple[int, int]]:
    """(respondent id, follow-up number) pairs whose time has come."""
    now = timezone.now()
    out = []
    sent = {}
    for respondent_id, sequence in EmailLog.objects.filter(
        respondent__campaign=campaign, kind=EmailKind.FOLLOWUP
    ).values_list("respondent_id", "sequence"):
        sent[respondent_id] = max(sent.get(respondent_id, 0), sequence)
    for respondent in (
        Respondent.objects.filter(
            campaign=campaign,
            completed_at__isnull=False,
            followup_opt_in=True,
            unsubscribed_at__isnull=True,
            bounced_at__isnull=True,
        )
        .exclude(email="")
        .only("id", "completed_at")
    ):
        nxt = sent.get(respondent.pk, 0) + 1
        if (
            nxt <= len(FOLLOWUP_DAYS)
            and respondent.completed_at + timedelta(days=FOLLOWUP_DAYS[nxt - 1]) <= now
        ):
            out.append((respondent.pk, nxt))
    return out


# --- The lifecycle ------------------------------------------------------------------------------


def lifecycle_step_due(*, campaign: Campaign, now: datetime) -> str | None:
    """The status `campaign` is due to move to by the clock: OPEN for a scheduled campaign whose
    opening time has come, CLOSED for an open one past its close date, DRAFT for a scheduled
    one whose close date passed before it could open (it can never open as it stands); None
    otherwise."""
    if campaign.status == CampaignStatus.SCHEDULED and campaign.closes_at <= now:
        return CampaignStatus.DRAFT
    if (
        campaign.status == CampaignStatus.SCHEDULED
        and campaign.opens_at
        and campaign.opens_at <= now
    ):
        return CampaignStatus.OPEN
    if campaign.status == CampaignStatus.OPEN and campaign.closes_at <= now:
        return CampaignStatus.CLOSED
    return None


def campaigns_with_timed_work() -> list[tuple[int, int]]:
    """(firm id, campaign id) of every campaign, in every firm, that may have timed work: open
    or scheduled, or with recent completions that asked for follow-ups. Platform-level: the
    caller runs it inside `pmo_platform.tenancy.all_firms()` (the sweep); ids only."""
    recent = timezone.now() - timedelta(days=max(FOLLOWUP_DAYS) + 1)
    return list(
        Campaign.objects.filter(
            Q(status__in=[CampaignStatus.OPEN, CampaignStatus.SCHEDULED])
            | Q(respondents__completed_at__gte=recent, respondents__followup_opt_in=True)
        )
        .values_list("firm_id", "id")
        .distinct()
    )


def campaigns_with_lifecycle_due(*, now: datetime) -> list[tuple[int, int]]:
    """(firm id, campaign id) of campaigns whose status the clock has moved (a scheduled one
    whose opening time has come, an open one past its close date): what the minute sweep
    hands on. Normally empty, so one cheap query a minute (the statuses it reads are
    indexed). Platform-level: the caller runs it inside `all_firms()`; ids only."""
    return list(
        Campaign.objects.filter(
            Q(status=CampaignStatus.SCHEDULED, opens_at__lte=now)
            | Q(status=CampaignStatus.OPEN, closes_at__lte=now)
        )
        .order_by("id")
        .values_list("firm_id", "id")[:1000]
    )


# --- Emails to resume (the email sweep) ----------------------------------------------------------


def firms_with_email_work() -> list[int]:
    """Firm ids with emails to resume (queued and not started EMAIL_STALE_AFTER after they were
    due, or `sending` past EMAIL_SENDING_GIVE_UP) or invitations missing. Platform-level: the
    caller runs it inside `all_firms()` (the beat task); ids only."""
    now = timezone.now()
    stale = EmailLog.objects.filter(
        status=EmailStatus.QUEUED, due_at__lte=now - settings.EMAIL_STALE_AFTER
    ) | EmailLog.objects.filter(
        status=EmailStatus.SENDING, claimed_at__lte=now - settings.EMAIL_SENDING_GIVE_UP
    )
    firms = set(stale.values_list("firm_id", flat=True).distinct())
    missing = missing_invitations(now=now, older_than=settings.EMAIL_STALE_AFTER)
    firms |= set(missing.values_list("firm_id", flat=True).distinct())
    return sorted(firms)


def missing_invitations(*, now: datetime, older_than: timedelta) -> QuerySet[Respondent]:
    """Respondents of open campaigns who should have had their invitation by now and have no
    invitation row at all (a lost fan-out)."""
    cutoff = now - older_than
    return (
        Respondent.objects.filter(
            source=Source.INVITED,
            sent_at__isnull=True,
            completed_at__isnull=True,
            unsubscribed_at__isnull=True,
            created_at__lte=cutoff,
            campaign__status=CampaignStatus.OPEN,
            campaign__opened_at__lte=cutoff,
            campaign__closes_at__gt=now,
        )
        .exclude(email="")
        .exclude(
            Exists(EmailLog.objects.filter(respondent=OuterRef("pk"), kind=EmailKind.INVITATION))
        )
    )
