"""An invitation's (or reminder's) text and HTML rendered once per campaign, kind and language
within a batch, and each recipient's name and link filled into that rendering.

A campaign's invitations differ only in the respondent's name (inside the campaign's text) and
their personal link; rendering both templates for each of 10,000 people was about a tenth of a
fan-out worker's time. So the first email of a batch in each language renders the templates
once with markers in place of the name and the link, and every email then puts its own values
where the markers are: escaped for the HTML part (as the template's autoescape and
`linebreaks` would), as they are for the text part. What comes out is the same as rendering
for that person (tests/assessments/test_email_render.py compares them).

The rendering is shared only when that equality is certain; otherwise (or for any other kind)
the email is rendered for itself:

- the campaign's text fills the name as a plain `{name}` (no format spec, conversion or
  index, which would act on the marker instead of the name);
- the name has no line break (`linebreaks` would turn one into a paragraph or `<br>`);
- the templates show nothing else of the respondent: they are rendered with a stand-in whose
  every attribute is a marker, and a rendering that contains one is not shared.
"""

from __future__ import annotations

import secrets
import string

from django.utils.html import escape

from ..models import EmailKind
from .campaign_rules import PLACEHOLDERS

# Alphanumeric (escaping and `linebreaks` leave it as it is) and unguessable: no campaign text
# or name contains it.
_MARK = "pmo" + secrets.token_hex(12)
NAME = _MARK + "name"
LINK = _MARK + "link"
_OTHER = _MARK + "other"

SHAREABLE_KINDS = (EmailKind.INVITATION, EmailKind.REMINDER)


class _StandIn:
    """The respondent while the shared rendering is made: any field a template reads is a
    marker, so a template that shows one is noticed."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _OTHER

    def __str__(self):
        return _OTHER


STAND_IN = _StandIn()


def plain_fields(text: str) -> bool:
    """Whether every placeholder of `text` is a plain `{field}` of the known ones."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return False
    return all(
        field is None or (field in PLACEHOLDERS and not spec and conversion is None)
        for _literal, field, spec, conversion in parsed
    )


def shareable_name(name: str) -> bool:
    return "\n" not in name and "\r" not in name and _MARK not in name


def usable(rendered: tuple[str, str]) -> bool:
    """A shared rendering that shows nothing of the stand-in respondent."""
    return not any(_OTHER in part for part in rendered)


def fill(rendered: tuple[str, str], *, name: str, link: str) -> tuple[str, str]:
    """The shared (text, html) with one recipient's name and link."""
    text, html = rendered
    text = text.replace(NAME, name).replace(LINK, link)
    html = html.replace(NAME, escape(name)).replace(LINK, escape(link))
    return text, html
