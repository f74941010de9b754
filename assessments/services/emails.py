"""Every respondent email: what each kind says and who may get it (`EMAIL_KINDS`, one entry per
kind), building one (`build_respondent_email`), bounces, and asking for sends (`enqueue_*`: the
claim rows are queued in the caller's transaction and the tasks published after it commits).
Sending them at most once is `email_delivery`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.emails import build_branded_email, render_branded
from accounts.models import Firm, WebhookEventType
from accounts.selectors import branding_for_firm
from accounts.services import emit_event
from pmo_platform.tasks import enqueue

from .. import selectors, webhook_payloads
from ..links import survey_url
from ..models import Campaign, EmailKind, EmailLog, Respondent, localized
from ..selectors import FOLLOWUP_DAYS
from . import email_render
from .email_delivery import email_message_id, emails_queue, enqueue_email_ids


def format_deadline(campaign: Campaign, language: str) -> str:
    """The campaign's close date as respondents read it, in `language` (in the current time
    zone)."""
    return _deadline(campaign.closes_at, timezone.get_current_timezone(), language)


@functools.lru_cache(maxsize=512)
def _deadline(closes_at, zone, language: str) -> str:
    # A pure function of its arguments (the format and the catalogs are fixed in a process):
    # a fan-out formats each campaign's date once per language, not twice per email.
    with translation.override(language):
        return formats.date_format(timezone.localtime(closes_at, zone), "DATE_FORMAT")


def invitation_text(*, firm: Firm, campaign: Campaign, language: str, name: str) -> tuple[str, str]:
    """The campaign's invitation subject and text in `language`, placeholders filled."""
    deadline = format_deadline(campaign, language)
    with translation.override(language):
        values = {
            "name": name or _("colleague"),
            "client": campaign.client.name,
            "firm": firm.name,
            "deadline": deadline,
        }
    subject = localized(campaign, "invitation_subject", language).format_map(values)
    body = localized(campaign, "invitation_body", language).format_map(values)
    return subject, body


# --- The kinds of email -------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailContent:
    subject: str
    context: dict  # added to the common context (respondent, campaign, link, deadline, ...)
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EmailKindSpec:
    template: str
    # Whether `respondent` (locked, with its campaign) may get number `sequence` of this kind.
    # Only an invitation goes to an address marked bounced (sending one again, or a changed
    # address, clears the mark); every other kind waits for that.
    eligible: Callable[[Respondent, int], bool]
    # What it says, in `language`; None when there is nothing to say (the claim stays).
    content: Callable[..., EmailContent | None]
    # What a sent email changes on the respondent's row.
    after_send: Callable[[Respondent, int], None] = lambda respondent, sequence: None
    # What a refused one (the server answered 5xx) changes.
    after_reject: Callable[[Respondent, int], None] = lambda respondent, sequence: None
    # `after_send` for many respondents at once (respondent ids, sequence), when it has one.
    after_send_many: Callable[[list[int], int], None] | None = None


def _awaiting_answers(respondent: Respondent) -> bool:
    return (
        not (respondent.completed_at or respondent.unsubscribed_at)
        and respondent.campaign.accepts_answers
    )


def _reminder_eligible(respondent: Respondent, sequence: int) -> bool:
    return (
        _awaiting_answers(respondent)
        and respondent.sent_at is not None
        and respondent.bounced_at is None
        and sequence == respondent.reminders_sent + 1
        and sequence <= respondent.campaign.max_reminders
    )


def _followup_eligible(respondent: Respondent, sequence: int) -> bool:
    return (
        respondent.completed_at is not None
        and respondent.followup_opt_in
        and respondent.unsubscribed_at is None
        and respondent.bounced_at is None
        and 1 <= sequence <= len(FOLLOWUP_DAYS)
    )


def _result_eligible(respondent: Respondent, sequence: int) -> bool:
    return respondent.completed_at is not None and respondent.bounced_at is None


def _invitation_content(*, firm, respondent, language, sequence) -> EmailContent:
    subject, body = invitation_text(
        firm=firm, campaign=respondent.campaign, language=language, name=respondent.name
    )
    return EmailContent(subject=subject, context={"body": body})


def _reminder_content(*, firm, respondent, language, sequence) -> EmailContent:
    invitation = _invitation_content(
        firm=firm, respondent=respondent, language=language, sequence=sequence
    )
    with translation.override(language):
        subject = _("Reminder: %(subject)s") % {"subject": invitation.subject}
    return EmailContent(subject=subject, context=invitation.context)


def _erase_link(respondent: Respondent) -> dict:
    """Where the respondent asks for their data to be erased (docs/privacy.md)."""
    return {"erase_url": survey_url(respondent, "assessments:survey_erase")}


def _result_content(*, firm, respondent, language, sequence) -> EmailContent:
    result = selectors.result_view(respondent=respondent, language=language)
    with translation.override(language):
        subject = str(gettext_lazy("Your PMO assessment result and tips from %(firm)s")) % {
            "firm": firm.name
        }
    return EmailContent(subject=subject, context={"result": result, **_erase_link(respondent)})


def _followup_content(*, firm, respondent, language, sequence) -> EmailContent | None:
    view = selectors.result_view(respondent=respondent, language=language)
    all_advice = selectors.advice_for(
        version_id=respondent.campaign.version_id,
        result=respondent.result or {},
        language=language,
        limit=len(FOLLOWUP_DAYS),
    )
    if len(all_advice) < sequence:
        return None
    tip = all_advice[sequence - 1]
    unsubscribe_url = survey_url(respondent, "assessments:unsubscribe")
    with translation.override(language):
        subject = _("Tip %(n)s of %(total)s: %(dimension)s") % {
            "n": sequence,
            "total": len(FOLLOWUP_DAYS),
            "dimension": tip["name"],
        }
    return EmailContent(
        subject=subject,
        context={
            "tip": tip,
            "result": view,
            "unsubscribe_url": unsubscribe_url,
            **_erase_link(respondent),
        },
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _mark_invited(respondent: Respondent, sequence: int) -> None:
    Respondent.objects.filter(pk=respondent.pk).update(sent_at=timezone.now(), bounced_at=None)


def _mark_refused(respondent: Respondent, sequence: int) -> None:
    # The server refused the address: shown as bounced, and no reminders go to it.
    Respondent.objects.filter(pk=respondent.pk, bounced_at__isnull=True).update(
        bounced_at=timezone.now()
    )


def _mark_reminded(respondent: Respondent, sequence: int) -> None:
    Respondent.objects.filter(pk=respondent.pk).update(reminders_sent=sequence)


def _mark_many_invited(respondent_ids: list[int], sequence: int) -> None:
    Respondent.objects.filter(pk__in=respondent_ids).update(sent_at=timezone.now(), bounced_at=None)


def _mark_many_reminded(respondent_ids: list[int], sequence: int) -> None:
    Respondent.objects.filter(pk__in=respondent_ids).update(reminders_sent=sequence)


EMAIL_KINDS: dict[str, EmailKindSpec] = {
    EmailKind.INVITATION: EmailKindSpec(
        template="assessments/email/invitation",
        eligible=lambda respondent, sequence: _awaiting_answers(respondent),
        content=_invitation_content,
        after_send=_mark_invited,
        after_reject=_mark_refused,
        after_send_many=_mark_many_invited,
    ),
    EmailKind.REMINDER: EmailKindSpec(
        template="assessments/email/invitation",
        eligible=_reminder_eligible,
        content=_reminder_content,
        after_send=_mark_reminded,
        after_reject=_mark_refused,
        after_send_many=_mark_many_reminded,
    ),
    EmailKind.RESULT: EmailKindSpec(
        template="assessments/email/result",
        eligible=_result_eligible,
        content=_result_content,
    ),
    EmailKind.FOLLOWUP: EmailKindSpec(
        template="assessments/email/followup",
        eligible=_followup_eligible,
        content=_followup_content,
    ),
}


# --- Building one email (sending is in `email_delivery`) ---------------------------------------


def build_respondent_email(
    *, firm: Firm, respondent: Respondent, row: EmailLog, branding=None, renders=None
):
    """The message for claim row `row` (respondent locked, with its campaign), carrying the
    row's stable Message-ID; None when there is nothing to say. `branding`: the firm's, when
    the caller has read it already (a batch reads it once). `renders`: a dict the caller keeps
    for a run of emails (a batch's slice), where invitations and reminders share their
    rendering per campaign and language (`email_render`)."""
    kind, sequence = row.kind, row.sequence
    campaign = respondent.campaign
    language = respondent.language or campaign.default_language
    if branding is None:
        branding = branding_for_firm(firm=firm)
    context = {
        "respondent": respondent,
        "campaign": campaign,
        "link": survey_url(respondent),
        "deadline": format_deadline(campaign, language),
        "kind": kind,
        "sequence": sequence,
    }
    spec = EMAIL_KINDS[kind]
    content = spec.content(firm=firm, respondent=respondent, language=language, sequence=sequence)
    if content is None:
        return None
    context |= content.context
    rendered = None
    if renders is not None and kind in email_render.SHAREABLE_KINDS:
        rendered = _shared_rendering(
            renders, firm=firm, branding=branding, respondent=respondent, row=row,
            language=language, context=context,
        )  # fmt: skip
    message = build_branded_email(
        firm=firm,
        branding=branding,
        to=respondent.email,
        language=language,
        subject=content.subject,
        template=spec.template,
        context=context,
        rendered=rendered,
    )
    message.extra_headers["X-PMO-Respondent"] = str(respondent.pk)
    message.extra_headers["Message-ID"] = row.message_id or email_message_id(
        firm_id=firm.pk, respondent_id=respondent.pk, kind=kind, sequence=sequence
    )
    # Read back by email providers' tracking webhooks (django-anymail) to mark bounces.
    message.metadata = {"firm_id": firm.pk, "respondent_id": respondent.pk, "kind": kind}
    message.tags = [f"pmo-{kind}"]
    message.extra_headers.update(content.headers)
    return message


def _shared_rendering(renders: dict, *, firm, branding, respondent, row, language, context):
    """This invitation's (text, html) from the rendering its campaign's emails in `language`
    share, or None when it must be rendered for itself (`email_render`)."""
    campaign = respondent.campaign
    with translation.override(language):
        name = respondent.name or _("colleague")
    if not email_render.shareable_name(name):
        return None
    key = (row.kind, row.sequence, campaign.pk, language)
    if key not in renders:
        renders[key] = None
        if email_render.plain_fields(localized(campaign, "invitation_body", language)):
            _subject, body = invitation_text(
                firm=firm, campaign=campaign, language=language, name=email_render.NAME
            )
            shared = render_branded(
                firm=firm,
                branding=branding,
                language=language,
                template=EMAIL_KINDS[row.kind].template,
                context=context
                | {"respondent": email_render.STAND_IN, "link": email_render.LINK, "body": body},
            )
            renders[key] = shared if email_render.usable(shared) else None
    if renders[key] is None:
        return None
    return email_render.fill(renders[key], name=name, link=context["link"])


@transaction.atomic
@transaction.atomic
def respondent_bounced(*, firm: Firm, respondent_id: int, recipient: str) -> None:
    """Mark a bounce, only when the event is about that respondent's own address; the first
    bounce of the respondent emits `invitation.bounced`."""
    if not recipient:
        return
    marked = Respondent.objects.filter(
        pk=respondent_id, email__iexact=recipient.strip(), bounced_at__isnull=True
    ).update(bounced_at=timezone.now())
    if marked:
        emit_event(
            firm=firm,
            event_type=WebhookEventType.INVITATION_BOUNCED,
            payload=lambda: webhook_payloads.invitation_bounced(
                respondent=Respondent.objects.select_related("campaign").get(pk=respondent_id)
            ),
        )


# --- The outbox ---------------------------------------------------------------------------------


def enqueue_respondent_email(
    *, firm: Firm, respondent_id: int, kind: str, sequence: int, countdown: int = 0
) -> None:
    """Queue one email's claim row and publish its task after the transaction commits."""
    from ..tasks import send_respondent_email

    emails_queue(firm=firm, kind=kind, items=[(respondent_id, sequence)])
    enqueue(
        send_respondent_email,
        _countdown=countdown,
        firm_id=firm.pk,
        respondent_id=respondent_id,
        kind=kind,
        sequence=sequence,
    )


def enqueue_campaign_emails(*, firm: Firm, campaign: Campaign, kind: str) -> None:
    from ..tasks import send_campaign_emails

    enqueue(send_campaign_emails, firm_id=firm.pk, campaign_id=campaign.pk, kind=kind)


def enqueue_email_batch(*, firm: Firm, kind: str, items: list[tuple[int, int]]) -> None:
    """Queue rows for (respondent id, sequence) pairs and publish them in batches; nothing when
    there are none (or all have rows already)."""
    enqueue_email_ids(firm=firm, email_ids=emails_queue(firm=firm, kind=kind, items=items))


@transaction.atomic
def campaign_emails_fan_out(*, firm: Firm, campaign: Campaign, kind: str) -> int:
    """A campaign's invitations or reminders: every row written `queued` in this one
    transaction, then published as batch tasks of BATCH_SIZE after it commits."""
    if not campaign.is_open:
        return 0
    items = selectors.campaign_email_recipients(campaign=campaign, kind=kind)
    enqueue_email_batch(firm=firm, kind=kind, items=items)
    return len(items)
