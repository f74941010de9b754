"""Report-ready emails: one per person and report, claimed in the sending transaction."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.emails import absolute_url, build_branded_email
from accounts.models import Firm
from accounts.selectors import branding_for_firm
from pmo_platform.claims import claim_once

from .. import selectors
from ..models import ReportNotice


def report_notice_send(*, firm: Firm, report_id: int, user_id: int) -> bool:
    """Email one person that a report is ready, at most once (claim row in the same
    transaction as the send)."""
    report = selectors.ready_report(firm=firm, report_id=report_id)
    user = selectors.active_user(user_id=user_id)
    if (
        report is None
        or user is None
        or user_id not in selectors.notice_recipients(campaign=report.campaign)
    ):
        return False
    if not claim_once(ReportNotice, firm=firm, report=report, user=user):
        return False
    campaign = report.campaign
    is_executive = selectors.is_client_executive(client_id=campaign.client_id, user=user)
    path = (
        reverse(
            "reports:portal_report",
            kwargs={
                "firm_slug": firm.slug,
                "client_id": campaign.client_id,
                "report_id": report.pk,
            },
        )
        if is_executive
        else reverse(
            "reports:campaign_report", kwargs={"firm_slug": firm.slug, "campaign_id": campaign.pk}
        )
    )
    language = user.language or "en"
    with translation.override(language):
        subject = _("The PMO report for %(client)s is ready") % {"client": campaign.client.name}
    message = build_branded_email(
        firm=firm,
        branding=branding_for_firm(firm=firm),
        to=user.email,
        language=language,
        subject=subject,
        template="reports/email/ready",
        context={
            "report": report,
            "campaign": campaign,
            "user": user,
            "link": absolute_url(path),
            "overall": None if report.data.get("suppressed") else report.data["overall"]["score"],
        },
    )
    message.send()
    return True
