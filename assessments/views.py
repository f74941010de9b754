"""Campaign pages for consultants, instrument editing, and the respondent's survey."""

from __future__ import annotations

import contextlib
import json
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from accounts.models import ClientOrganisation, Language
from accounts.permissions import firm_staff
from accounts.selectors import branding_for_firm
from pmo_platform.forms import add_service_errors
from pmo_platform.tenancy import firm_public

from . import selectors, services
from .forms import (
    AdviceForm,
    CampaignForm,
    DimensionForm,
    ItemForm,
    LeadForm,
    NewItemForm,
    RespondentCsvForm,
    RespondentForm,
)
from .models import CampaignStatus, Source, localized


def _is_id(value: str) -> bool:
    """ASCII digits only (str.isdigit() also accepts "²", which int() refuses), of sane length."""
    return bool(re.fullmatch(r"[0-9]{1,12}", value or ""))


# --- Campaigns (consultants) --------------------------------------------------------------------


def _campaign_or_404(request, campaign_id):
    campaign = selectors.campaign_get(firm=request.firm, pk=campaign_id)
    if campaign is None:
        raise Http404
    return campaign


def _campaign_form(request, data=None, initial=None):
    return CampaignForm(
        data,
        initial=initial,
        clients=ClientOrganisation.objects.filter(archived_at__isnull=True).order_by("name"),
        versions=selectors.versions_for_campaigns(firm=request.firm),
    )


@firm_staff
def campaign_list(request, firm_slug):
    client = None
    if _is_id(request.GET.get("client", "")):
        client = ClientOrganisation.objects.filter(pk=int(request.GET["client"])).first()
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
    if _is_id(request.GET.get("client", "")):
        initial["client"] = int(request.GET["client"])
    form = _campaign_form(request, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            campaign = services.campaign_create(firm=request.firm, actor=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign created. Add respondents, then open it."))
            return redirect(
                "assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign.pk
            )
    return render(request, "assessments/campaign_form.html", {"form": form, "campaign": None})


@firm_staff
def campaign_edit(request, firm_slug, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    initial = {field: getattr(campaign, field) for field in services.CAMPAIGN_FIELDS}
    initial |= {
        "client": campaign.client_id,
        "version": campaign.version_id,
        "open_link": bool(campaign.open_link_token),
    }
    form = _campaign_form(request, request.POST or None, initial)
    form.fields["client"].disabled = True
    form.fields["version"].disabled = campaign.status != CampaignStatus.DRAFT
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
            return redirect(
                "assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign.pk
            )
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
        "respondents": selectors.campaign_respondents(campaign=campaign)[:500],
        "respondent_form": RespondentForm(initial={"language": campaign.default_language}),
        "csv_form": RespondentCsvForm(),
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


@firm_staff
def campaign_detail(request, firm_slug, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    return render(request, "assessments/campaign_detail.html", _detail_context(request, campaign))


@firm_staff
def campaign_stats(request, firm_slug, campaign_id):
    """Live response rates for the campaign page (polled)."""
    campaign = _campaign_or_404(request, campaign_id)
    stats = selectors.campaign_stats(campaign=campaign)
    return JsonResponse({**stats, "status": campaign.status})


def _action(request, firm_slug, campaign_id, service, success):
    campaign = _campaign_or_404(request, campaign_id)
    try:
        service(firm=request.firm, actor=request.user, campaign=campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign_id)


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
    campaign = _campaign_or_404(request, campaign_id)
    form = RespondentForm(request.POST)
    if form.is_valid():
        try:
            row = services.clean_respondent_row(form.cleaned_data, campaign.default_language)
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
            return redirect(
                "assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign.pk
            )
    return render(
        request,
        "assessments/campaign_detail.html",
        _detail_context(request, campaign, respondent_form=form),
        status=400,
    )


@require_POST
@firm_staff
def respondents_import(request, firm_slug, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    form = RespondentCsvForm(request.POST, request.FILES)
    problems = []
    if form.is_valid():
        try:
            result = services.respondents_import_csv(
                firm=request.firm,
                actor=request.user,
                campaign=campaign,
                content=form.cleaned_data["file"],
            )
        except services.CsvImportError as exc:
            problems = exc.problems
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Imported: %(created)s new, %(updated)s updated.") % result,
            )
            return redirect(
                "assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign.pk
            )
    return render(
        request,
        "assessments/campaign_detail.html",
        _detail_context(request, campaign, csv_form=form, csv_problems=problems),
        status=400,
    )


@require_POST
@firm_staff
def respondent_resend(request, firm_slug, campaign_id, respondent_id):
    campaign = _campaign_or_404(request, campaign_id)
    respondent = selectors.campaign_respondents(campaign=campaign).filter(pk=respondent_id).first()
    if respondent is None:
        raise Http404
    try:
        services.respondent_resend(firm=request.firm, actor=request.user, respondent=respondent)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The invitation has been sent again to %(email)s.") % {"email": respondent.email},
        )
    return redirect("assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign.pk)


@firm_staff
def leads(request, firm_slug):
    return render(
        request, "assessments/leads.html", {"leads": selectors.leads(firm=request.firm)[:500]}
    )


# --- Instruments --------------------------------------------------------------------------------


@firm_staff
def instrument_list(request, firm_slug):
    return render(
        request,
        "assessments/instrument_list.html",
        {"versions": selectors.instruments_overview(firm=request.firm)},
    )


def _version_or_404(request, version_id):
    version = selectors.version_get(firm=request.firm, pk=version_id)
    if version is None:
        raise Http404
    return version


@firm_staff
def version_detail(request, firm_slug, version_id):
    version = _version_or_404(request, version_id)
    return render(
        request,
        "assessments/version_detail.html",
        {
            "version": version,
            "dimensions": selectors.version_detail(firm=request.firm, version=version),
        },
    )


@require_POST
@firm_staff
def version_copy(request, firm_slug, version_id):
    version = _version_or_404(request, version_id)
    copy = services.instrument_copy(firm=request.firm, actor=request.user, version=version)
    messages.success(request, _("Your own copy is ready to edit."))
    return redirect("assessments:version_detail", firm_slug=firm_slug, version_id=copy.pk)


def _edit(request, obj, form_class, initial, service, kwarg, template_title):
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = service(
                firm=request.firm, actor=request.user, **{kwarg: obj}, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            version = saved.version if hasattr(saved, "version") else saved.dimension.version
            if version.pk != _version_of(obj).pk:
                messages.info(
                    request,
                    _("That version is in use, so your change went into a new version %(n)s.")
                    % {"n": version.number},
                )
            else:
                messages.success(request, _("Changes saved."))
            return redirect(
                "assessments:version_detail", firm_slug=request.firm.slug, version_id=version.pk
            )
    return render(
        request,
        "assessments/instrument_edit.html",
        {"form": form, "title": template_title, "version": _version_of(obj)},
        status=400 if request.method == "POST" else 200,
    )


def _version_of(obj):
    return obj.version if hasattr(obj, "version") else obj.dimension.version


@firm_staff
def item_edit(request, firm_slug, item_id):
    item = selectors.item_get(firm=request.firm, pk=item_id)
    if item is None:
        raise Http404
    initial = {
        "text_en": item.text_en,
        "text_sv": item.text_sv,
        "reverse": item.reverse,
        "weight": item.weight,
    }
    return _edit(request, item, ItemForm, initial, services.item_update, "item", item.key)


@firm_staff
def item_add(request, firm_slug, dimension_id):
    dimension = selectors.dimension_get(firm=request.firm, pk=dimension_id)
    if dimension is None:
        raise Http404
    form = NewItemForm(request.POST or None, initial={"weight": 1, "sign": 1})
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_add(
                firm=request.firm, actor=request.user, dimension=dimension, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Statement added."))
            return redirect(
                "assessments:version_detail", firm_slug=firm_slug, version_id=item.version_id
            )
    return render(
        request,
        "assessments/instrument_edit.html",
        {"form": form, "title": dimension.name_en, "version": dimension.version},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@firm_staff
def item_remove(request, firm_slug, item_id):
    item = selectors.item_get(firm=request.firm, pk=item_id)
    if item is None:
        raise Http404
    try:
        version = services.item_remove(firm=request.firm, actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        version = item.version
    else:
        messages.success(request, _("Statement removed."))
    return redirect("assessments:version_detail", firm_slug=firm_slug, version_id=version.pk)


@firm_staff
def dimension_edit(request, firm_slug, dimension_id):
    dimension = selectors.dimension_get(firm=request.firm, pk=dimension_id)
    if dimension is None:
        raise Http404
    initial = {
        f: getattr(dimension, f) for f in ("name_en", "name_sv", "description_en", "description_sv")
    }
    return _edit(
        request,
        dimension,
        DimensionForm,
        initial,
        services.dimension_update,
        "dimension",
        dimension.name_en,
    )


@firm_staff
def advice_edit(request, firm_slug, advice_id):
    advice = selectors.advice_get(firm=request.firm, pk=advice_id)
    if advice is None:
        raise Http404
    initial = {
        "step_en": advice.step_en,
        "step_sv": advice.step_sv,
        "tips_en": "\n".join(advice.tips_en),
        "tips_sv": "\n".join(advice.tips_sv),
    }
    return _edit(
        request,
        advice,
        AdviceForm,
        initial,
        services.advice_update,
        "advice",
        f"{advice.dimension.name_en} · {advice.get_band_display()}",
    )


# --- The respondent ------------------------------------------------------------------------------


def _respondent_or_page(request, token):
    respondent = selectors.respondent_by_token(firm=request.firm, token=token)
    if respondent is None:
        return None, render(
            request, "assessments/survey_message.html", {"reason": "unknown"}, status=404
        )
    return respondent, None


def _survey_language(request, respondent):
    language = respondent.language or respondent.campaign.default_language
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


@firm_public
def survey(request, firm_slug, token):
    respondent, page = _respondent_or_page(request, token)
    if page:
        return page
    language = _survey_language(request, respondent)
    if respondent.completed_at is not None:
        return redirect("assessments:survey_result", firm_slug=firm_slug, token=token)
    campaign = respondent.campaign
    if not campaign.accepts_answers:
        return render(
            request,
            "assessments/survey_message.html",
            {"reason": "closed", "campaign": campaign},
            status=410,
        )
    services.respondent_opened(respondent=respondent)
    error = None
    if request.method == "POST":
        # Without JavaScript the whole form arrives here; with it, answers were already saved.
        try:
            _save_posted_answers(request, respondent)
            if "submit" in request.POST:
                services.respondent_submit(
                    firm=request.firm,
                    respondent=respondent,
                    followup_opt_in=request.POST.get("followup_opt_in") == "on",
                )
                return redirect("assessments:survey_result", firm_slug=firm_slug, token=token)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("assessments:survey", firm_slug=firm_slug, token=token)
    items = selectors.survey_items(respondent=respondent)
    answers = selectors.answers_of(respondent=respondent)
    version = campaign.version
    questions = [
        {
            "item": item,
            "text": localized(item, "text", language),
            "value": answers.get(item.pk, "unanswered"),
        }
        for item in items
    ]
    labels = version.scale_labels.get(language) or version.scale_labels.get("en")
    return render(
        request,
        "assessments/survey.html",
        {
            "respondent": respondent,
            "campaign": campaign,
            "token": token,
            "questions": questions,
            "scale": list(enumerate(labels, start=1)),
            "dont_know": version.dont_know_label.get(language, "Don't know"),
            "answered": len(answers),
            "total": len(items),
            "description": localized(version, "description", language),
            "error": error,
            "survey_language": language,
        },
        status=400 if error else 200,
    )


def _parse_value(raw: str):
    if raw == "dk":
        return None
    if _is_id(raw):
        return int(raw)
    raise ValidationError({"value": _("Choose one of the five answers or “don't know”.")})


def _save_posted_answers(request, respondent):
    for key, raw in request.POST.items():
        if key.startswith("item-") and _is_id(key[5:]):
            services.answer_save(
                firm=request.firm,
                respondent=respondent,
                item_id=int(key[5:]),
                value=_parse_value(raw),
            )


@require_POST
@firm_public
def survey_answer(request, firm_slug, token):
    """Autosave of one answer (JSON), so a reload or a lost connection loses nothing."""
    respondent = selectors.respondent_by_token(firm=request.firm, token=token)
    if respondent is None:
        return JsonResponse({"error": "not found"}, status=404)
    _survey_language(request, respondent)
    try:
        payload = json.loads(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        item_id = int(payload.get("item"))
        value = _parse_value(str(payload.get("value", "")))
        services.answer_save(firm=request.firm, respondent=respondent, item_id=item_id, value=value)
    except (ValueError, TypeError):
        return JsonResponse({"error": _("That answer could not be read.")}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    answered = respondent.answers.count()
    return JsonResponse({"saved": True, "answered": answered})


@require_POST
@firm_public
def survey_language(request, firm_slug, token):
    respondent, page = _respondent_or_page(request, token)
    if page:
        return page
    with contextlib.suppress(ValidationError):  # an unknown language keeps the current one
        services.respondent_set_language(
            respondent=respondent, language=request.POST.get("language", "")
        )
    target = "assessments:survey_result" if respondent.completed_at else "assessments:survey"
    return redirect(target, firm_slug=firm_slug, token=token)


@firm_public
def survey_result(request, firm_slug, token):
    respondent, page = _respondent_or_page(request, token)
    if page:
        return page
    language = _survey_language(request, respondent)
    if respondent.completed_at is None:
        return redirect("assessments:survey", firm_slug=firm_slug, token=token)
    lead_form = None
    if respondent.source == Source.OPEN_LINK and not respondent.email:
        lead_form = LeadForm(request.POST or None, firm_name=request.firm.name)
        if request.method == "POST" and lead_form.is_valid():
            try:
                services.lead_capture(
                    firm=request.firm, respondent=respondent, **lead_form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(lead_form, exc)
            else:
                messages.success(
                    request, _("Your results and tips are on their way to your inbox.")
                )
                return redirect("assessments:survey_result", firm_slug=firm_slug, token=token)
    return render(
        request,
        "assessments/result.html",
        {
            "respondent": respondent,
            "campaign": respondent.campaign,
            "result": services.result_view(respondent=respondent, language=language),
            "lead_form": lead_form,
            "token": token,
            "survey_language": language,
        },
        status=400 if lead_form is not None and lead_form.errors else 200,
    )


@firm_public
def open_link(request, firm_slug, token):
    """A firm's public "take the test" page."""
    campaign = selectors.campaign_by_open_token(firm=request.firm, token=token)
    if campaign is None:
        return render(request, "assessments/survey_message.html", {"reason": "unknown"}, status=404)
    if not campaign.accepts_answers:
        return render(
            request,
            "assessments/survey_message.html",
            {"reason": "closed", "campaign": campaign},
            status=410,
        )
    language = translation.get_language()[:2] if translation.get_language() else "en"
    if language not in Language.values:
        language = campaign.default_language
    if request.method == "POST":
        if is_ratelimited(
            request,
            group="open-link",
            key="ip",
            rate=settings.OPEN_LINK_RATE,
            method="POST",
            increment=True,
        ):
            return render(
                request, "assessments/survey_message.html", {"reason": "busy"}, status=429
            )
        try:
            _respondent, respondent_token = services.open_link_start(
                firm=request.firm, campaign=campaign, language=language
            )
        except ValidationError:
            return render(
                request,
                "assessments/survey_message.html",
                {"reason": "closed", "campaign": campaign},
                status=410,
            )
        return redirect("assessments:survey", firm_slug=firm_slug, token=respondent_token)
    version = campaign.version
    return render(
        request,
        "assessments/open_link.html",
        {
            "campaign": campaign,
            "description": localized(version, "description", language),
            "name": localized(version.instrument, "name", language),
        },
    )


@csrf_exempt  # mail clients post "List-Unsubscribe=One-Click"; the token is the credential
@firm_public
def unsubscribe(request, firm_slug, token):
    respondent, page = _respondent_or_page(request, token)
    if page:
        return page
    _survey_language(request, respondent)
    if request.method == "POST":
        services.respondent_unsubscribe(respondent=respondent)
        return render(request, "assessments/survey_message.html", {"reason": "unsubscribed"})
    return render(request, "assessments/unsubscribe.html", {"respondent": respondent})
