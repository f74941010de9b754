"""Branded email: every mail a firm sends carries its sender name, reply-to, logo, colours and
footer, in the recipient's language, with an HTML and a plain-text part."""

from __future__ import annotations

import functools
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from pmo_platform.text import header_safe

from .models import Branding, Firm


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def logo_url(firm: Firm, branding: Branding) -> str:
    if not branding.has_logo:
        return ""
    return absolute_url(
        reverse("accounts:logo", kwargs={"firm_slug": firm.slug, "digest": branding.logo_sha256})
    )


def branding_context(firm: Firm, branding: Branding) -> dict:
    return {
        "firm": firm,
        "branding": branding,
        "logo_url": logo_url(firm, branding),
        "site_url": settings.SITE_URL,
    }


def sender_address(branding: Branding) -> str:
    """The firm's sender name on the platform's own address (SPF/DKIM stay valid)."""
    return _sender(branding.sender_name or branding.firm.name, settings.DEFAULT_FROM_EMAIL)


@functools.lru_cache(maxsize=256)
def _sender(name: str, default_from: str) -> str:
    # A pure function of its arguments: parsed once per firm's name, not once per email.
    _name, address = parseaddr(default_from)
    return formataddr((header_safe(name), address))


def render_branded(
    *, firm: Firm, branding: Branding, language: str, template: str, context: dict
) -> tuple[str, str]:
    """`<template>.txt` and `<template>.html` rendered in `language` with the firm's branding."""
    with translation.override(language):
        full_context = branding_context(firm, branding) | context | {"language": language}
        return (
            render_to_string(f"{template}.txt", full_context),
            render_to_string(f"{template}.html", full_context),
        )


def build_branded_email(
    *,
    firm: Firm,
    branding: Branding,
    to: str,
    language: str,
    subject: str,
    template: str,
    context: dict,
    rendered: tuple[str, str] | None = None,
) -> EmailMultiAlternatives:
    """Render `<template>.txt` and `<template>.html` in `language` and wrap them in the firm's
    branding (`rendered`: the two already rendered so). `subject` must be a lazy or
    already-translated string."""
    if rendered is None:
        rendered = render_branded(
            firm=firm, branding=branding, language=language, template=template, context=context
        )
    text, html = rendered
    with translation.override(language):
        # Subjects are built from stored names: one with a line break (a row older than the
        # input checks) would make Django refuse the message and stop a whole batch.
        subject = header_safe(subject)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender_address(branding),
        to=[to],
        reply_to=[branding.reply_to] if branding.reply_to else None,
        headers={"X-PMO-Firm": firm.slug},
    )
    message.attach_alternative(html, "text/html")
    return message
