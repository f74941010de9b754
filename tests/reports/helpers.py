"""Helpers shared by the report tests (and the browser journeys): a campaign with answers, and
its report built in this process."""

from datetime import timedelta

from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Answer, Campaign, InstrumentVersion, Item, Respondent
from pmo_platform.tenancy import firm_context
from reports import services
from reports.models import Report


def campaign_with(world, groups, not_answered=0, client=None, name="Report"):
    """groups: [(role_level, count, value)]"""
    with firm_context(world.firm):
        version = InstrumentVersion.objects.get()
        campaign = assessment_services.campaign_create(
            firm=world.firm,
            actor=world.owner,
            client=client or world.client,
            version=version,
            name=name,
            closes_at=timezone.now() + timedelta(days=3),
            default_language="en",
            **assessment_services.default_invitation_texts(),
        )
        rows, values = [], {}
        for role, count, value in groups:
            for n in range(count):
                email = f"{role or 'none'}{n}@x.example"
                rows.append(
                    {
                        "email": email,
                        "name": "",
                        "language": "en",
                        "role_level": role,
                        "department": "IT" if n % 2 else "Sales",
                    }
                )
                values[email] = value
        rows += [
            {
                "email": f"silent{n}@x.example",
                "name": "",
                "language": "en",
                "role_level": "",
                "department": "",
            }
            for n in range(not_answered)
        ]
        assessment_services.respondents_add(
            firm=world.firm, actor=world.owner, campaign=campaign, rows=rows
        )
        items = list(Item.objects.filter(version=version))
        answers = []
        for respondent in Respondent.objects.filter(campaign=campaign, email__in=list(values)):
            answers += [
                Answer(
                    firm=world.firm,
                    respondent=respondent,
                    item=item,
                    value=values[respondent.email],
                )
                for item in items
            ]
        Answer.objects.bulk_create(answers)
        Respondent.objects.filter(campaign=campaign, email__in=list(values)).update(
            completed_at=timezone.now()
        )
    return campaign


def build(world, campaign, close=True):
    with firm_context(world.firm):
        if close:  # what clients see are closed campaigns' reports
            Campaign.objects.filter(pk=campaign.pk).update(status="closed")
        report = services.report_request(firm=world.firm, campaign=campaign, trigger="requested")
        assert services.report_build(firm=world.firm, report_id=report.pk)
        return Report.objects.get(pk=report.pk)
