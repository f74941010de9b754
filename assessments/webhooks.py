"""Bounces reported by the email provider's tracking webhook (django-anymail).

The webhook is an entry point like any other: the firm comes from the message's metadata, is
loaded, and the change runs inside that firm's scope. A respondent id that does not belong to
that firm changes nothing."""

import logging

from accounts.selectors import firm_by_id
from pmo_platform.tenancy import firm_context

from . import services

logger = logging.getLogger(__name__)
BOUNCES = {"bounced", "rejected", "failed"}


def email_event(sender, event, esp_name, **kwargs):
    if event.event_type not in BOUNCES:
        return
    metadata = event.metadata or {}
    try:
        firm_id, respondent_id = int(metadata["firm_id"]), int(metadata["respondent_id"])
    except (KeyError, TypeError, ValueError):
        return  # not one of ours (for example an allauth email)
    firm = firm_by_id(firm_id)
    if firm is None:
        return
    with firm_context(firm):
        # The event must be about that respondent's own address: metadata alone is not trusted.
        services.respondent_bounced(
            firm=firm, respondent_id=respondent_id, recipient=event.recipient or ""
        )
    logger.info(
        "%s: %s for respondent %s of firm %s", esp_name, event.event_type, respondent_id, firm_id
    )
