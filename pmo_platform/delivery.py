"""Sending an email whose claim is already committed, and telling what became of it.

The delivery rule (docs/operations.md, "Delivery guarantees: email"): claim the email in a
committed row *before* talking to the mail server, send, then record the outcome in a second
transaction. What the server said decides the outcome:

- ``SENT``: the server answered 250 to the end of DATA.
- ``REJECTED``: the server refused the recipient, the sender or the message with a 5xx reply;
  nothing was accepted and trying again would be refused again.
- ``DEFERRED``: nothing was accepted and trying again may work: the server could not be reached,
  the connection dropped before DATA, or a 4xx reply. Safe to send again.
- ``UNKNOWN``: the connection failed or timed out after the message was handed over (during or
  after DATA). The server may have accepted it, so it is treated as sent and never resent.

So a retry never resends what the server may have accepted; the price is that an email whose
worker dies between the committed claim and the server's answer to DATA is lost, not doubled.

This layer knows no app: callers (assessments, accounts, reports) own their claim rows.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import smtplib
import socket
import uuid
from dataclasses import dataclass
from email.utils import parseaddr

import kombu.exceptions
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.db import InterfaceError, OperationalError

from . import mime

logger = logging.getLogger(__name__)

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

SENT = "sent"
REJECTED = "rejected"
DEFERRED = "deferred"
UNKNOWN = "unknown"

# Errors worth trying a task again for: the database, the broker or the network was briefly
# away. Email tasks list these in `autoretry_for`.
try:  # redis-py is the broker's client; its errors are not OSErrors
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    _REDIS_ERRORS: tuple = (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover - redis is a dependency
    _REDIS_ERRORS = ()

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes smtplib.SMTPException and socket timeouts
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    *_REDIS_ERRORS,
)

# Task options shared by every email task: retried with exponential backoff (5 s, 10 s, 20 s,
# ... at most five minutes apart), up to ten times.
RETRY_OPTIONS = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 10,
}


class Deferred(OSError):
    """Raised after a DEFERRED outcome was recorded, so the task is retried with backoff."""


@dataclass
class Result:
    outcome: str
    error: str = ""


class Prepared:
    """An email built once, before its claim: `prepare` builds its MIME message (a bad header
    fails there) and, for the SMTP backend, its bytes, which the connection then sends as they
    are instead of the backend building the message again. Other backends (an ESP's API, the
    test outbox) are handed the original `message`."""

    def __init__(self, message):
        self.message = message
        mime_message = message.message()  # raises BadHeaderError and friends now
        self.data: bytes | None = None
        self.envelope: tuple[str, list[str]] = ("", [])
        if settings.EMAIL_BACKEND == SMTP_BACKEND:
            self.data = mime.as_bytes(mime_message)  # what Django's backend sends, built faster
            encoding = message.encoding or settings.DEFAULT_CHARSET
            self.envelope = (
                _sanitized(message.from_email, encoding),  # one sender for a whole batch
                [sanitize_address(a, encoding) for a in message.recipients()],
            )


@functools.lru_cache(maxsize=256)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def prepare(message) -> Prepared:
    """`message` built and checked once (see `Prepared`); what `Mailer.send` takes best."""
    return Prepared(message)


def message_id(*parts: object) -> str:
    """A stable `Message-ID` for one email: the same parts give the same id, so a receiver (or
    an operator reading the server's log) can recognise a duplicate. The domain is the one of
    `DEFAULT_FROM_EMAIL`."""
    key = ":".join(str(part) for part in parts)
    domain = _domain(settings.DEFAULT_FROM_EMAIL)
    return f"<{uuid.uuid5(uuid.NAMESPACE_URL, 'pmo-email:' + key)}@{domain}>"


@functools.lru_cache(maxsize=16)
def _domain(from_email: str) -> str:
    # Parsed once, not once per row of a 100,000-row fan-out.
    _name, address = parseaddr(from_email)
    return address.rpartition("@")[2] or "pmo.invalid"


def _smtp_code(exc: BaseException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        # Every recipient refused: permanent only when all refusals are permanent.
        return min(codes) if codes else None
    return getattr(exc, "smtp_code", None)


class Mailer:
    """One connection to the mail backend for a run of emails (a batch reuses it). For the SMTP
    backend it notes when DATA begins, which is what tells DEFERRED from UNKNOWN."""

    def __init__(self):
        self.connection = None
        # The last attempt could not even connect (the rest of a batch may as well wait).
        self.unreachable = False
        self._data_started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            # Closing a broken connection may fail again; there is nothing to keep.
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None

    def open(self) -> None:
        """Connect (and EHLO, TLS, login) unless connected; raises on failure."""
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
            smtp = getattr(self.connection, "connection", None)
            if isinstance(smtp, smtplib.SMTP):
                original = smtp.data

                def data(msg, _original=original):
                    self._data_started = True
                    return _original(msg)

                smtp.data = data

    def connect(self) -> Result | None:
        """Open the connection now, inside the claiming transaction and before its commit, so
        the window between the claim and the server's answer holds only MAIL, RCPT and DATA.
        A DEFERRED result when the server cannot be reached (nothing to claim then)."""
        try:
            self.open()
        except Exception as exc:  # unreachable, refused greeting, TLS or login: nothing sent
            self.close()
            self.unreachable = True
            return Result(DEFERRED, _describe(exc))
        self.unreachable = False
        return None

    def send(self, message) -> Result:
        """Send one message (an EmailMessage, or one `prepare`d) on the open connection;
        classify what happened. Never raises for a mail-server failure."""
        self._data_started = False
        failure = self.connect()  # normally open already (see connect)
        if failure is not None:
            return failure
        try:
            sent = self._hand_over(message)
        except smtplib.SMTPResponseException as exc:
            # SMTPSenderRefused, SMTPDataError and friends: an explicit reply, nothing accepted.
            return self._refused(exc, _smtp_code(exc))
        except smtplib.SMTPRecipientsRefused as exc:
            return self._refused(exc, _smtp_code(exc))
        except (OSError, EOFError) as exc:  # SMTPServerDisconnected, timeouts, resets
            self.close()
            if self._data_started or not _is_smtp(exc):
                return Result(UNKNOWN, _describe(exc))
            return Result(DEFERRED, _describe(exc))
        except Exception as exc:  # an ESP backend's own errors (anymail): no phase to tell
            self.close()
            if type(exc).__name__ == "AnymailRecipientsRefused":  # every recipient refused
                return Result(REJECTED, _describe(exc))
            return Result(UNKNOWN, _describe(exc))
        if not sent:  # a backend that reports "nothing sent" without raising
            return Result(DEFERRED, "the backend sent nothing")
        return Result(SENT)

    def _hand_over(self, message) -> int:
        """What the backend's `send_messages` does for one message, minus building it again."""
        smtp = getattr(self.connection, "connection", None)
        if isinstance(message, Prepared):
            if message.data is not None and isinstance(smtp, smtplib.SMTP):
                sender, recipients = message.envelope
                if not recipients:
                    return 0
                smtp.sendmail(sender, recipients, message.data)  # no RSET, no NOOP: one MAIL
                return 1
            message = message.message
        message.connection = self.connection
        return message.send()

    def _refused(self, exc, code) -> Result:
        self.close()
        if code is not None and 500 <= code < 600:
            return Result(REJECTED, _describe(exc))
        return Result(DEFERRED, _describe(exc))


def _is_smtp(exc: BaseException) -> bool:
    """Whether the error came from the SMTP conversation (so the DATA probe tells the phase).
    Other backends (an ESP's HTTP API) give no phase: their network errors count as UNKNOWN
    unless the connection was refused outright."""
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return True
    return isinstance(exc, ConnectionRefusedError | socket.gaierror)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
