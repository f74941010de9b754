"""Writes of a campaign's respondents: adding them (a form row, a whole CSV file or an API batch,
all or nothing), sending one person's invitation again, removing one before the launch."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Firm, User
from accounts.selectors import hash_token
from accounts.services import audit

from .. import selectors
from ..error_codes import AssessmentsErrorCode as Code
from ..links import respondent_token
from ..models import Campaign, CampaignStatus, EmailKind, Respondent
from ..respondent_csv import clean_respondent_rows, parse_respondent_csv
from .emails import enqueue_campaign_emails, enqueue_respondent_email


def new_respondent(**fields) -> Respondent:
    """An unsaved respondent with a fresh link (only the token's hash is stored)."""
    respondent = Respondent(token_salt=secrets.token_hex(16), **fields)
    respondent.token_hash = hash_token(respondent_token(respondent))
    return respondent


@transaction.atomic
def respondents_add(*, firm: Firm, actor: User, campaign: Campaign, rows: list[dict]) -> dict:
    """Add or update respondents by email (duplicates merge; the later row wins). Every row is
    checked first: one bad row adds nobody, and the error names every bad row's fields as
    `rows.<index>.<field>`. Invitations go out at once to new people when the campaign is open."""
    if campaign.status in (CampaignStatus.CLOSED, CampaignStatus.REPORTED):
        raise ValidationError(
            _("People cannot be added to a closed campaign."), code=Code.CAMPAIGN_CLOSED
        )
    merged: dict[str, dict] = {}
    for row in clean_respondent_rows(rows, campaign.default_language):  # whoever the caller is
        merged[row["email"]] = row
    existing = {
        r.email: r
        for r in Respondent.objects.select_for_update().filter(
            campaign=campaign, email__in=list(merged)
        )
    }
    created, updated = [], 0
    for email, row in merged.items():
        if email in existing:
            respondent = existing[email]
            for key in ("name", "language", "role_level", "department"):
                if row[key]:
                    setattr(respondent, key, row[key])
            respondent.save(update_fields=["name", "language", "role_level", "department"])
            updated += 1
        else:
            created.append(new_respondent(firm=firm, campaign=campaign, **row))
    Respondent.objects.bulk_create(created)
    audit(
        firm=firm,
        actor=actor,
        action="respondents.added",
        target=campaign,
        created=len(created),
        updated=updated,
    )
    if created and campaign.is_open:
        enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.INVITATION)
    return {"created": len(created), "updated": updated}


def respondents_import_csv(*, firm: Firm, actor: User, campaign: Campaign, content: bytes) -> dict:
    rows = parse_respondent_csv(content=content, default_language=campaign.default_language)
    return respondents_add(firm=firm, actor=actor, campaign=campaign, rows=rows)


@transaction.atomic
def respondent_resend(*, firm: Firm, actor: User, respondent: Respondent) -> None:
    if respondent.completed_at is not None:
        raise ValidationError(
            _("This person has already answered."), code=Code.RESPONDENT_COMPLETED
        )
    if not respondent.campaign.is_open:
        raise ValidationError(
            _("Invitations go out only while the campaign is open."), code=Code.CAMPAIGN_NOT_OPEN
        )
    sequence = selectors.invitation_count(respondent=respondent)
    Respondent.objects.filter(pk=respondent.pk).update(bounced_at=None)
    audit(firm=firm, actor=actor, action="respondent.invitation_resent", target=respondent)
    enqueue_respondent_email(
        firm=firm, respondent_id=respondent.pk, kind=EmailKind.INVITATION, sequence=sequence
    )


@transaction.atomic
def respondent_remove(*, firm: Firm, actor: User, respondent: Respondent) -> None:
    """Take an invited person off a campaign that has not been launched (nobody has been sent
    anything yet); after the launch their invitation and answers stay."""
    campaign = Campaign.objects.select_for_update().get(pk=respondent.campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(
            _("People can be removed only before the campaign is launched."),
            code=Code.CAMPAIGN_NOT_DRAFT,
        )
    audit(
        firm=firm,
        actor=actor,
        action="respondent.removed",
        target=respondent,
        campaign_id=campaign.pk,
    )
    respondent.delete()
