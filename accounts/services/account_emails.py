"""allauth's own emails (address verification, password reset, "account already exists"): the
web process renders them and the worker sends them, through the task outbox, so an SMTP outage
never breaks sign-up or a reset request; the worker retries until the server is back."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction

from pmo_platform.tasks import enqueue


@transaction.atomic
def account_email_enqueue(*, message: EmailMessage) -> None:
    """Queue a rendered message; only strings go to the task (the outbox row holds them until
    the broker has the task)."""
    from ..tasks import send_account_email

    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((body for body, kind in message.alternatives if kind == "text/html"), "")
    enqueue(
        send_account_email,
        subject=str(message.subject),
        body=str(message.body),
        html=html,
        content_subtype=message.content_subtype,
        from_email=str(message.from_email),
        to=[str(address) for address in message.to],
        headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
    )


def account_email_send(
    *,
    subject: str,
    body: str,
    html: str,
    content_subtype: str,
    from_email: str,
    to: list[str],
    headers: dict[str, str],
) -> None:
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers)
    message.content_subtype = content_subtype
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
