"""Demo data of the assessments app: an open campaign with answers coming in, and closed
earlier rounds. Idempotent; runs inside the firm's scope (see `manage.py seed_demo`)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from . import services
from .models import Answer, Campaign, CampaignStatus, EmailKind, EmailLog, Respondent


def seed_campaign(*, firm, owner, client, spec):
    """The main client's open campaign, a lead from its open link, and a small non-anonymous
    pulse (whose responses the API serves one by one, docs/api.md)."""
    campaign = seed_open_campaign(firm=firm, owner=owner, client=client, spec=spec)
    seed_lead(firm=firm, campaign=campaign, spec=spec)
    seed_named_campaign(firm=firm, owner=owner, client=client, spec=spec)


def seed_open_campaign(*, firm, owner, client, spec):
    """An open campaign with invitations out and about two thirds of the answers in."""
    existing = Campaign.objects.filter(name=spec["campaign"]).first()
    if existing is not None:
        return existing
    version = services.install_builtin_instruments(firm=firm)[0]
    campaign = services.campaign_create(
        firm=firm,
        actor=owner,
        client=client,
        version=version,
        name=spec["campaign"],
        closes_at=timezone.now() + timedelta(days=10),
        default_language=spec["language"],
        open_link=True,
        **services.default_invitation_texts(),
    )
    domain = client.name.lower().replace(" ", "") + ".example"
    rows = [
        {
            "email": name.lower().replace(" ", ".").replace("ö", "o") + "@" + domain,
            "name": name,
            "language": spec["language"],
            "role_level": role,
            "department": department,
        }
        for name, role, department in spec["people"]
    ]
    services.respondents_add(firm=firm, actor=owner, campaign=campaign, rows=rows)
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.OPEN, opened_at=now - timedelta(days=4)
    )
    campaign.refresh_from_db()
    rng = random.Random(spec["slug"])
    items = list(version.items.select_related("dimension"))
    for index, respondent in enumerate(Respondent.objects.filter(campaign=campaign).order_by("id")):
        Respondent.objects.filter(pk=respondent.pk).update(sent_at=now - timedelta(days=4))
        EmailLog.objects.create(firm=firm, respondent=respondent, kind=EmailKind.INVITATION)
        if index % 3 == 2:
            continue  # invited, not answered yet
        # Leaders see a more mature PMO than the teams do (the Swedish seed's sign 5).
        lean = (
            1
            if respondent.role_level == "leadership"
            else (-1 if respondent.role_level == "team_member" else 0)
        )
        for item in items:
            base = rng.choice([2, 3, 3, 4]) + lean
            value = max(1, min(5, 6 - base if item.reverse else base))
            value = None if rng.random() < 0.04 else value
            services.answer_save(firm=firm, respondent=respondent, item_id=item.pk, value=value)
        respondent.refresh_from_db()
        result = services.personal_result(respondent=respondent)
        Respondent.objects.filter(pk=respondent.pk).update(
            opened_at=now - timedelta(days=3), completed_at=now - timedelta(days=2), result=result
        )
        EmailLog.objects.create(firm=firm, respondent=respondent, kind=EmailKind.RESULT)
    return campaign


def _answer_all(*, firm, respondent, items, rng) -> None:
    for item in items:
        value = rng.choice([2, 3, 3, 4, 5, None])
        services.answer_save(firm=firm, respondent=respondent, item_id=item.pk, value=value)


def seed_lead(*, firm, campaign, spec):
    """Someone who took the test through the open link and left their email with consent."""
    email = "lead@" + spec["slug"] + "-prospect.example"
    if Respondent.objects.filter(campaign=campaign, email=email).exists():
        return
    respondent, _token = services.open_link_start(
        firm=firm, campaign=campaign, language=spec["language"]
    )
    _answer_all(
        firm=firm,
        respondent=respondent,
        items=campaign.version.items.all(),
        rng=random.Random(email),
    )
    services.respondent_submit(firm=firm, respondent=respondent)
    respondent.refresh_from_db()
    services.lead_capture(
        firm=firm,
        respondent=respondent,
        email=email,
        name="Pat Prospect",
        consent=True,
        followup_opt_in=True,
    )


def seed_named_campaign(*, firm, owner, client, spec):
    """A small open campaign created as not anonymous (its survey page says so), with three of
    its four people finished: the API's responses feed lists them with identity and scores."""
    name = (
        f"{client.name}: leadership pulse (not anonymous)"
        if spec["language"] == "en"
        else f"{client.name}: ledningspuls (ej anonym)"
    )
    if Campaign.objects.filter(name=name).exists():
        return
    version = services.install_builtin_instruments(firm=firm)[0]
    campaign = services.campaign_create(
        firm=firm,
        actor=owner,
        client=client,
        version=version,
        name=name,
        closes_at=timezone.now() + timedelta(days=14),
        default_language=spec["language"],
        anonymous=False,
        **services.default_invitation_texts(),
    )
    domain = client.name.lower().replace(" ", "") + ".example"
    roles = ["leadership", "leadership", "pmo", "project_manager"]
    rows = [
        {
            "email": f"pulse{n}@{domain}",
            "name": f"Pulse Respondent {n}",
            "language": spec["language"],
            "role_level": role,
            "department": "Management",
        }
        for n, role in enumerate(roles, 1)
    ]
    services.respondents_add(firm=firm, actor=owner, campaign=campaign, rows=rows)
    services.campaign_launch(firm=firm, actor=owner, campaign=campaign)
    rng = random.Random(name)
    items = list(version.items.all())
    for respondent in Respondent.objects.filter(campaign=campaign).order_by("id")[:3]:
        _answer_all(firm=firm, respondent=respondent, items=items, rng=rng)
        services.respondent_submit(firm=firm, respondent=respondent)


def seed_closed_campaign(*, firm, owner, client, name, months_ago, bias, people=8):
    """A closed campaign with answers in (None when it exists already). Closing it requests
    its report."""
    if Campaign.objects.filter(name=name).exists():
        return None
    version = services.install_builtin_instruments(firm=firm)[0]
    campaign = services.campaign_create(
        firm=firm,
        actor=owner,
        client=client,
        version=version,
        name=name,
        closes_at=timezone.now() + timedelta(days=1),
        default_language="en",
        **services.default_invitation_texts(),
    )
    roles = ["leadership", "leadership", "pmo", "project_manager", "team_member", "team_member"]
    domain = client.name.lower().replace(" ", "") + ".example"
    rows = [
        {
            "email": f"person{n}.{campaign.pk}@{domain}",
            "name": "",
            "language": "en",
            "role_level": roles[n % len(roles)],
            "department": ["IT", "Finance"][n % 2],
        }
        for n in range(people)
    ]
    services.respondents_add(firm=firm, actor=owner, campaign=campaign, rows=rows)
    rng = random.Random(name)
    items = list(version.items.all())
    respondents = list(Respondent.objects.filter(campaign=campaign))
    answers = []
    for respondent in respondents:
        lean = 1 if respondent.role_level == "leadership" else 0
        for item in items:
            base = max(1, min(5, rng.choice([2, 3, 3, 4]) + bias + lean))
            answers.append(
                Answer(
                    firm=firm,
                    respondent=respondent,
                    item=item,
                    value=6 - base if item.reverse else base,
                )
            )
    Answer.objects.bulk_create(answers)
    then = timezone.now() - timedelta(days=30 * months_ago)
    for respondent in respondents:
        Respondent.objects.filter(pk=respondent.pk).update(
            sent_at=then,
            opened_at=then,
            started_at=then,
            completed_at=then,
            result=services.personal_result(respondent=respondent),
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.OPEN, opened_at=then - timedelta(days=14)
    )
    campaign.refresh_from_db()
    services.campaign_close(firm=firm, actor=owner, campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        created_at=then - timedelta(days=14), closed_at=then
    )
    return campaign
