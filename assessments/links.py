"""A respondent's personal link: the token (an HMAC of the row's random salt with the server
secret; the database keeps only its SHA-256) and the absolute URLs built from it. Pure."""

from __future__ import annotations

import base64

from django.urls import reverse
from django.utils.crypto import salted_hmac

from accounts.emails import absolute_url


def respondent_token(respondent) -> str:
    digest = salted_hmac("pmo.respondent-link", respondent.token_salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def survey_url(respondent, name: str = "assessments:survey") -> str:
    return absolute_url(
        reverse(
            name, kwargs={"firm_slug": respondent.firm.slug, "token": respondent_token(respondent)}
        )
    )
