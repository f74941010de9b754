"""The firm's campaign pages: the list, create and edit, the campaign page with its live figures,
launch, close and remind, respondents (one by form, many by CSV, an invitation again), leads."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Language
from accounts.permissions import firm_staff
from accounts.selectors import branding_for_firm
from pmo_platform.access import id_or_none
from pmo_platform.forms import add_service_errors, perform

from .. import selectors, services
from ..access import access_campaign, access_respondent, client_filter
from ..forms import CampaignForm, RespondentCsvForm, RespondentFilterForm, RespondentForm
from ..models import CampaignStatus
from ..respondent_csv import clean_respondent_row
from ..respondent_list import encode_key


def _campaign_form(request, data=None, initial=None):
    return CampaignForm(
        data,
        initial=initial,
        clients=selectors.clients_for_campaigns(firm=request.firm),
        versions=selectors.versions_for_campaigns(firm=request.firm),
    )


def _to_detail(firm_slug, campaign):
    return redirect("assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign.pk)


@firm_staff
def campaign_list(request, firm_slug):
    client = client_filter(request.firm_access, request.GET.get("client", ""))
    return render(
        request,
        "assessments/campaign_list.html",
        {"campaigns": selectors.campaign_list(firm=request.firm, client=client), "client": client},
    )


@firm_staff
def campaign_create(request, firm_slug):
    branding = branding_for_firm(firm=request.firm)
    initial = {
        "default_language": branding.default_language,
        "closes_at": timezone.localtime() + timezone.timedelta(days=14),
        "version": selectors.versions_for_campaigns(firm=request.firm).first(),
        "anonymous": True,
        **services.default_invitation_texts(),
    }
    client_id = id_or_none(request.GET.get("client", ""))
    if client_id is not None:
        initial["client"] = client_id
    form = _campaign_form(request, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            campaign = services.campaign_create(firm=request.firm, actor=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign created. Add respondents, then open it."))
            return _to_detail(firm_slug, campaign)
    return render(request, "assessments/campaign_form.html", {"form": form, "campaign": None})


@firm_staff
def campaign_edit(request, firm_slug, campaign_id):
    campaign = access_campaign(request.firm_access, campaign_id)
    initial = {field: getattr(campaign, field) for field in services.CAMPAIGN_FIELDS}
    initial |= {
        "client": campaign.client_id,
        "version": campaign.version_id,
        "open_link": bool(campaign.open_link_token),
    }
    form = _campaign_form(request, request.POST or None, initial)
    form.fields["client"].disabled = True
    form.fields["version"].disabled = campaign.status != CampaignStatus.DRAFT
    # A launched campaign that promised anonymity keeps it (services.campaign_update).
    form.fields["anonymous"].disabled = (
        campaign.status != CampaignStatus.DRAFT and campaign.anonymous
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "client"}
        try:
            services.campaign_update(
                firm=request.firm, actor=request.user, campaign=campaign, **data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return _to_detail(firm_slug, campaign)
    return render(request, "assessments/campaign_form.html", {"form": form, "campaign": campaign})


def _preview(campaign, firm):
    """The invitation as respondents will read it, in both languages."""
    previews = []
    for language, label in Language.choices:
        subject, body = services.invitation_text(
            firm=firm, campaign=campaign, language=language, name="Alex Andersson"
        )
        previews.append({"language": str(label), "subject": subject, "body": body})
    return previews


def _detail_context(request, campaign, **extra):
    firm = request.firm
    context = {
        "campaign": campaign,
        "stats": selectors.campaign_stats(campaign=campaign),
        **_respondent_list(request, campaign),
        "respondent_form": RespondentForm(initial={"language": campaign.default_language}),
        "csv_form": RespondentCsvForm(),
        "respondent_import": selectors.latest_respondent_import(campaign=campaign),
        "previews": _preview(campaign, firm),
        "open_link": (
            settings.SITE_URL
            + reverse(
                "assessments:open_link",
                kwargs={"firm_slug": firm.slug, "token": campaign.open_link_token},
            )
            if campaign.open_link_token
            else ""
        ),
    }
    context.update(extra)
    return context


def _respondent_list(request, campaign) -> dict:
    """A page of the respondents (search, filters and page from the query string; a value that
    does not pass is shown with its error and left out) and the links to the pages around it,
    which keep the filters."""
    form = RespondentFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = selectors.RespondentFilters(
        search=data.get("q", ""),
        status=data.get("status", ""),
        role_level=data.get("role_level", ""),
        department=data.get("department", ""),
    )
    after = data.get("after")
    page = selectors.campaign_respondent_page(
        firm=request.firm,
        campaign=campaign,
        filters=filters,
        after=after,
        before=None if after else data.get("before"),
        last=bool(data.get("last")),
    )
    kept = {
        name: value
        for name, value in (
            ("q", filters.search),
            ("status", filters.status),
            ("role_level", filters.role_level),
            ("department", filters.department),
        )
        if value
    }

    def link(**position):
        return "?" + urlencode(kept | position)

    links = {}
    if page.previous_key:
        links["first"] = link()
        links["previous"] = link(before=encode_key(page.previous_key))
    if page.next_key:
        links["next"] = link(after=encode_key(page.next_key))
        links["last"] = link(last=1)
    return {
        "respondents": page.rows,
        "respondent_filter": form if form.is_bound else RespondentFilterForm(),
        "respondent_filtered": bool(kept),
        "respondent_pages": links,
        "respondent_page_size": selectors.PAGE_SIZE,
        "top_departments": selectors.TOP_DEPARTMENTS,
    }


@firm_staff
def campaign_detail(request, firm_slug, campaign_id):
    campaign = access_campaign(request.firm_access, campaign_id)
    return render(request, "assessments/campaign_detail.html", _detail_context(request, campaign))


@firm_staff
def campaign_stats(request, firm_slug, campaign_id):
    """Live response rates for the campaign page (polled)."""
    campaign = access_campaign(request.firm_access, campaign_id)
    stats = selectors.campaign_stats(campaign=campaign)
    return JsonResponse({**stats, "status": campaign.status})


def _action(request, firm_slug, campaign_id, service, success):
    campaign = access_campaign(request.firm_access, campaign_id)
    perform(
        request,
        lambda: service(firm=request.firm, actor=request.user, campaign=campaign),
        success=success,
    )
    return _to_detail(firm_slug, campaign)


@require_POST
@firm_staff
def campaign_launch(request, firm_slug, campaign_id):
    return _action(
        request,
        firm_slug,
        campaign_id,
        services.campaign_launch,
        _("The campaign is open; invitations are on their way."),
    )


@require_POST
@firm_staff
def campaign_close(request, firm_slug, campaign_id):
    return _action(
        request, firm_slug, campaign_id, services.campaign_close, _("The campaign is closed.")
    )


@require_POST
@firm_staff
def campaign_remind(request, firm_slug, campaign_id):
    return _action(
        request,
        firm_slug,
        campaign_id,
        services.reminders_send_now,
        _("Reminders are on their way to everyone who has not finished."),
    )


@require_POST
@firm_staff
def respondent_add(request, firm_slug, campaign_id):
    campaign = access_campaign(request.firm_access, campaign_id)
    form = RespondentForm(request.POST)
    if form.is_valid():
        try:
            row = clean_respondent_row(form.cleaned_data, campaign.default_language)
            result = services.respondents_add(
                firm=request.firm, actor=request.user, campaign=campaign, rows=[row]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if result["created"]:
                messages.success(request, _("%(email)s added.") % {"email": row["email"]})
            else:
                messages.success(request, _("%(email)s updated.") % {"email": row["email"]})
            return _to_detail(firm_slug, campaign)
    return render(
        request,
        "assessments/campaign_detail.html",
        _detail_context(request, campaign, respondent_form=form),
        status=400,
    )


@require_POST
@firm_staff
def respondent_resend(request, firm_slug, campaign_id, respondent_id):
    campaign = access_campaign(request.firm_access, campaign_id)
    respondent = access_respondent(request.firm_access, campaign, respondent_id)
    perform(
        request,
        lambda: services.respondent_resend(
            firm=request.firm, actor=request.user, respondent=respondent
        ),
        success=_("The invitation has been sent again to %(email)s.") % {"email": respondent.email},
    )
    return _to_detail(firm_slug, campaign)


@firm_staff
def leads(request, firm_slug):
    return render(
        request, "assessments/leads.html", {"leads": selectors.leads(firm=request.firm)[:500]}
    )
