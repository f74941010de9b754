"""The access helpers of report pages: ids parsed, missing and forbidden the same 404; and the
codes of report errors."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import RequestFactory

from accounts import services as account_services
from accounts.permissions import firm_viewers
from accounts.selectors import FirmAccess, firm_access
from pmo_platform.tenancy import firm_context
from reports import access, services
from reports.error_codes import ReportsErrorCode
from reports.forms import ReportSettingsForm
from tests.reports.helpers import build, campaign_with

pytestmark = pytest.mark.django_db


def _access(world, user):
    with firm_context(world.firm):
        return firm_access(user=user, firm=world.firm)


def test_campaign_report_is_for_staff_of_the_campaigns_firm(firm_a, firm_b):
    campaign = campaign_with(firm_a, [("pmo", 5, 3)])
    other = campaign_with(firm_b, [("pmo", 5, 3)])
    with firm_context(firm_a.firm):
        for user in (firm_a.owner, firm_a.consultant):
            found = access.access_campaign_report(_access(firm_a, user), str(campaign.pk))
            assert found == campaign
        for person, campaign_id in (
            (firm_a.executive, campaign.pk),  # not staff
            (firm_a.consultant, other.pk),  # another firm's campaign
            (firm_a.consultant, other.pk + 1000),  # missing
            (firm_a.consultant, "x"),
        ):
            with pytest.raises(Http404):
                access.access_campaign_report(_access(firm_a, person), campaign_id)


def test_executives_see_their_own_non_archived_client_and_staff_see_every_client(firm_a, firm_b):
    executive = _access(firm_a, firm_a.executive)
    staff = _access(firm_a, firm_a.consultant)
    with firm_context(firm_a.firm):
        assert access.access_client_for_viewer(executive, firm_a.client.pk) == firm_a.client
        for client_id in (firm_a.other_client.pk, firm_b.client.pk):
            with pytest.raises(Http404):
                access.access_client_for_viewer(executive, client_id)
        assert access.access_client_for_viewer(staff, firm_a.other_client.pk)
        with pytest.raises(Http404):
            access.access_client_for_viewer(staff, firm_b.client.pk)
        account_services.client_set_archived(
            firm=firm_a.firm, actor=firm_a.owner, client=firm_a.client, archived=True
        )
        assert access.access_client_for_viewer(staff, firm_a.client.pk) == firm_a.client
        # Even with a grant still in hand, an executive does not see an archived client.
        stale = FirmAccess(firm=firm_a.firm, executive_client_ids=frozenset({firm_a.client.pk}))
        with pytest.raises(Http404):
            access.access_client_for_viewer(stale, firm_a.client.pk)


def test_portal_report_is_the_final_snapshot_of_a_closed_campaign_of_that_client(firm_a):
    campaign = campaign_with(firm_a, [("pmo", 6, 3)])
    live = build(firm_a, campaign, close=False)
    first = build(firm_a, campaign)
    final = build(firm_a, campaign)
    other = build(firm_a, campaign_with(firm_a, [("pmo", 6, 3)], client=firm_a.other_client))
    executive = _access(firm_a, firm_a.executive)
    with firm_context(firm_a.firm):
        client, report = access.access_portal_report(executive, firm_a.client.pk, str(final.pk))
        assert (client, report) == (firm_a.client, final)
        for client_id, report_id in (
            (firm_a.client.pk, live.pk),
            (firm_a.client.pk, first.pk),
            (firm_a.client.pk, other.pk),
            (firm_a.other_client.pk, other.pk),
            (firm_a.client.pk, "latest"),
        ):
            with pytest.raises(Http404):
                access.access_portal_report(executive, client_id, report_id)


def test_firm_viewers_admits_staff_and_executives_only(firm_a):
    view = firm_viewers(lambda request: "page")
    request = RequestFactory().get("/")
    for person in (firm_a.owner, firm_a.consultant, firm_a.executive):
        request.firm_access = _access(firm_a, person)
        assert view(request) == "page"
    for firm_access_ in (None, FirmAccess(firm=firm_a.firm)):
        request.firm_access = firm_access_
        with pytest.raises(Http404):
            view(request)
    assert view.firm_viewers is True


def test_report_settings_errors_carry_codes(firm_a):
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        services.report_settings_update(
            firm=firm_a.firm, actor=firm_a.owner, min_group_size=2, contribute_to_benchmarks=False
        )
    code = exc.value.error_dict["min_group_size"][0].code
    assert code == ReportsErrorCode.MIN_GROUP_SIZE_TOO_SMALL
    form = ReportSettingsForm({"min_group_size": "2"})
    assert not form.is_valid() and form.has_error("min_group_size", "min_value")
    assert ReportSettingsForm({"min_group_size": "51"}).has_error("min_group_size", "max_value")
