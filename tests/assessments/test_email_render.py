"""Invitations of a batch share one rendering per campaign and language (email_render): each
recipient's email is exactly what rendering it alone gives."""

from __future__ import annotations

import pytest

from accounts.selectors import branding_for_firm
from assessments.models import Campaign, EmailKind, EmailLog, Respondent
from assessments.services import email_render
from assessments.services.emails import build_respondent_email
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

NAMES = [
    "Ann Lee",
    "",  # "colleague" in the respondent's language
    "Örjan & <b>Co</b>",
    'O\'Brien "Bob"',
    "{name} {client} %s",
    "Tab\tbetween",
    "two\nlines",  # rendered alone: linebreaks would act on it
    "Zoë > Åsa",
]

BODY = "Hej {name}!\n\n{client} and {firm} ask you ({name}) before {deadline}.\nThanks & <br>"


def parts(message) -> tuple[str, str]:
    return message.body, message.alternatives[0][0]


def build(firm, branding, respondent, kind, renders):
    row = EmailLog(respondent=respondent, kind=kind, sequence=0 if kind == "invitation" else 1)
    return build_respondent_email(
        firm=firm, respondent=respondent, row=row, branding=branding, renders=renders
    )


def people(world, campaign):
    add_people(
        world,
        campaign,
        [
            person(f"r{i}@client.example", name="x", language=("sv", "en")[i % 2])
            for i in range(len(NAMES))
        ],
    )
    # Names as stored, some from before the input checks (a tab, a line break).
    for i, name in enumerate(NAMES):
        Respondent.objects.filter(email=f"r{i}@client.example").update(name=name)
    return list(
        Respondent.objects.filter(campaign=campaign)
        .select_related("campaign", "campaign__client")
        .order_by("pk")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [EmailKind.INVITATION, EmailKind.REMINDER])
def test_a_shared_rendering_gives_each_recipient_their_own_email(firm_a, kind):
    firm = firm_a.firm
    with firm_context(firm):
        campaign = new_campaign(
            firm_a, name="Render", invitation_body_en=BODY, invitation_body_sv=BODY + " (sv)"
        )
        branding = branding_for_firm(firm=firm)
        branding.email_footer = "Footer & co\nline two"
        respondents = people(firm_a, campaign)
        renders: dict = {}
        for respondent in respondents:
            shared = build(firm, branding, respondent, kind, renders)
            alone = build(firm, branding, respondent, kind, None)
            assert parts(shared) == parts(alone), respondent.name
            assert shared.subject == alone.subject
            assert email_render.NAME not in shared.body + parts(shared)[1]
            assert email_render.LINK not in shared.body + parts(shared)[1]
        # One rendering per language was made and used (not one per email).
        assert sorted(key[3] for key, value in renders.items() if value) == ["en", "sv"]


@pytest.mark.django_db
def test_a_campaign_text_with_a_format_spec_is_rendered_per_email(firm_a):
    firm = firm_a.firm
    with firm_context(firm):
        campaign = new_campaign(firm_a, name="Spec")
        respondents = people(firm_a, campaign)
        # Past validation (an old row): a spec acts on the name, so nothing can be shared.
        Campaign.objects.filter(pk=campaign.pk).update(invitation_body_en="Hi {name:>12}|")
        Campaign.objects.filter(pk=campaign.pk).update(invitation_body_sv="Hej {name!r}|")
        for respondent in respondents:
            respondent.campaign.refresh_from_db()
        branding = branding_for_firm(firm=firm)
        renders: dict = {}
        for respondent in respondents:
            shared = build(firm, branding, respondent, EmailKind.INVITATION, renders)
            alone = build(firm, branding, respondent, EmailKind.INVITATION, None)
            assert parts(shared) == parts(alone)
        assert not any(renders.values())


@pytest.mark.django_db
def test_a_template_that_shows_a_respondents_field_is_not_shared(firm_a, settings, tmp_path):
    folder = tmp_path / "assessments" / "email"
    folder.mkdir(parents=True)
    (folder / "invitation.txt").write_text("{{ body }} {{ respondent.email }} {{ link }}")
    (folder / "invitation.html").write_text("<p>{{ body }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    firm = firm_a.firm
    with firm_context(firm):
        respondents = people(firm_a, new_campaign(firm_a, name="Own field"))
        branding = branding_for_firm(firm=firm)
        renders: dict = {}
        for respondent in respondents:
            message = build(firm, branding, respondent, EmailKind.INVITATION, renders)
            assert respondent.email in message.body
        assert not any(renders.values())
