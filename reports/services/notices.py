"""Report-ready emails: one per person and report, claimed in a committed row before sending."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.emails import absolute_url, build_branded_email
from accounts.models import Firm
from accounts.selectors import branding_for_firm
from pmo_platform import delivery
from pmo_platform.claims import claim_once
from pmo_platform.tenancy import firm_context

from .. import selectors
from ..models import ReportNotice


def report_notice_send(*, firm: Firm, report_id: int, user_id: int) -> bool:
    """Email one person that a report is ready, at most once (the worker, outside any
    transaction). The claim row is inserted and committed before the mail server is spoken
    to; when the server accepted nothing (unreachable, a 4xx) it is deleted again and
    `delivery.Deferred` makes the task retry; an unknown outcome counts as sent."""
    mailer = delivery.Mailer()
    with firm_context(firm):
        claimed = _claim(firm=firm, report_id=report_id, user_id=user_id)
        # Connected before the claim commits; the server unreachable: the claim rolls back.
        unreachable = mailer.connect() if claimed is not None else None
        if unreachable is not None:
            transaction.set_rollback(True)
    if unreachable is not None:
        raise delivery.Deferred(unreachable.error)
    if claimed is None:
        return False
    notice_id, message = claimed
    with mailer:
        result = mailer.send(message)
    if result.outcome == delivery.DEFERRED:
        with firm_context(firm):
            ReportNotice.objects.filter(pk=notice_id).delete()
        raise delivery.Deferred(result.error)
    return result.outcome != delivery.REJECTED


def _claim(*, firm: Firm, report_id: int, user_id: int):
    report = selectors.ready_report(firm=firm, report_id=report_id)
    user = selectors.active_user(user_id=user_id)
    if (
        report is None
        or user is None
        or user_id not in selectors.notice_recipients(campaign=report.campaign)
    ):
        return None
    notice = claim_once(ReportNotice, firm=firm, report=report, user=user)
    if notice is None:
        return None
    campaign = report.campaign
    is_executive = selectors.is_client_executive(client_id=campaign.client_id, user=user)
    # Links to the campaign's report page, not to this snapshot: a rebuild replaces the
    # snapshot (the portal then shows only the newest), and the email must still lead there.
    path = (
        reverse(
            "reports:portal_campaign",
            kwargs={
                "firm_slug": firm.slug,
                "client_id": campaign.client_id,
                "campaign_id": campaign.pk,
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
    message.extra_headers["Message-ID"] = delivery.message_id(firm.pk, "notice", report.pk, user.pk)
    message.message()  # a bad header fails here, and the claim rolls back
    return notice.pk, message
