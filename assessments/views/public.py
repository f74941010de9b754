"""The respondent's pages (every `@firm_public` view): the survey with its autosave, the language
switch, the result (and the open-link lead form), the open "take the test" link, unsubscribe,
and erasing one's own data (docs/privacy.md).

No account: the personal token in the URL is the credential. An unknown token gets the friendly
"this link is not valid" page (`UnknownLink` from the access helpers)."""

from __future__ import annotations

import contextlib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from accounts.models import Language
from pmo_platform import ratelimit
from pmo_platform.access import id_or_none
from pmo_platform.client_ip import client_ip
from pmo_platform.error_codes import PlatformErrorCode
from pmo_platform.forms import add_service_errors
from pmo_platform.forms import error_codes as error_codes_of
from pmo_platform.jsonbody import BadJson, json_object
from pmo_platform.tenancy import firm_public
from pmo_platform.views import link_invalid, link_invalid_json

from .. import selectors, services
from ..access import (
    UnknownLink,
    access_campaign_by_open_token,
    access_respondent_by_token,
    access_respondent_for_answer,
)
from ..error_codes import AssessmentsErrorCode
from ..forms import LeadForm
from ..models import Source, localized
from ..services.survey import invalid_answer


def _message(request, reason, status=200, **context):
    return render(
        request, "assessments/survey_message.html", {"reason": reason, **context}, status=status
    )


def _on_unknown_link(respond):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except UnknownLink:
                return respond(request)

        wrapper.on_unknown_firm = respond  # a firm slug that does not exist: the same answer
        return wrapper

    return decorator


# Neutral answers (no firm name, no logo), the same as for a firm slug that does not exist.
link_page = _on_unknown_link(link_invalid)
link_json = _on_unknown_link(link_invalid_json)


def _survey_language(request, respondent):
    language = respondent.language or respondent.campaign.default_language
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


@firm_public
@link_page
def survey(request, firm_slug, token):
    respondent = access_respondent_by_token(request.firm, token)
    language = _survey_language(request, respondent)
    if respondent.completed_at is not None:
        return redirect("assessments:survey_result", firm_slug=firm_slug, token=token)
    campaign = respondent.campaign
    if not campaign.accepts_answers:
        return _message(request, "closed", status=410, campaign=campaign)
    services.respondent_opened(respondent=respondent)
    error = error_codes = None
    if request.method == "POST":
        # Without JavaScript the whole form arrives here; with it, answers were already saved.
        try:
            services.survey_post(
                firm=request.firm,
                respondent=respondent,
                answers=_posted_answers(request),
                submit="submit" in request.POST,
                followup_opt_in=request.POST.get("followup_opt_in") == "on",
            )
            if "submit" in request.POST:
                return redirect("assessments:survey_result", firm_slug=firm_slug, token=token)
        except ValidationError as exc:
            error, error_codes = " ".join(exc.messages), error_codes_of(exc)
        else:
            return redirect("assessments:survey", firm_slug=firm_slug, token=token)
    return render(
        request,
        "assessments/survey.html",
        {
            "respondent": respondent,
            "campaign": campaign,
            "token": token,
            **selectors.survey_page(respondent=respondent, language=language),
            "error": error,
            "error_codes": error_codes,
            "survey_language": language,
        },
        status=400 if error else 200,
    )


def _parse_value(raw: str):
    if raw == "dk":
        return None
    value = id_or_none(raw)
    if value is not None:
        return value
    raise invalid_answer()


def _posted_answers(request) -> dict:
    """`item-<id>` fields of the posted form, parsed (an answer off the scale: ValidationError
    before anything is saved)."""
    answers = {}
    for key, raw in request.POST.items():
        item_id = id_or_none(key[5:]) if key.startswith("item-") else None
        if item_id is not None:
            answers[item_id] = _parse_value(raw)
    return answers


def _autosave_limited(request, token) -> bool:
    """Per personal link and per client address (pmo_platform.client_ip), both counted in one
    Redis round trip."""
    return ratelimit.hit(
        ratelimit.Limit("survey-answer", token, settings.SURVEY_ANSWER_RATE),
        ratelimit.Limit("survey-answer-ip", client_ip(request), settings.SURVEY_ANSWER_IP_RATE),
    )


def _answer_payload(request) -> tuple[int, int | None]:
    """The item and the value of an autosave's JSON body ("dk" is None), or BadJson or the
    ValidationError of a value that is no answer at all."""
    payload = json_object(request)
    item_id = id_or_none(payload.get("item"))
    if item_id is None:  # not a positive 64-bit integer: nothing the database could hold
        raise BadJson(AssessmentsErrorCode.INVALID_ANSWER)
    value = payload.get("value", "")
    return item_id, _parse_value(value if isinstance(value, str | int) else "")


# The firm scope (FirmScopeMiddleware) already runs the view in one transaction: no savepoint
# of ATOMIC_REQUESTS on top of it.
@transaction.non_atomic_requests
@require_POST
@firm_public
@link_json
def survey_answer(request, firm_slug, token):
    """Autosave of one answer (JSON), so a reload or a lost connection loses nothing. On the
    hot path one prepared statement finds the respondent by the link and saves the answer
    (`answer_save_by_link`). Anything it does not save takes the ordinary path: the link's
    check, then `answer_save`, whose refusal is the same as ever, in the survey's language."""
    if _autosave_limited(request, token):
        return JsonResponse(
            {"error": _("Too many answers at once. Please wait a moment.")}, status=429
        )
    try:
        item_id, value = _answer_payload(request)
    except (BadJson, ValidationError):
        saved = None  # refused below, after the link's check (an unknown link is still a 404)
    else:
        saved = services.answer_save_by_link(
            firm=request.firm, token=token, item_id=item_id, value=value
        )
    if saved is not None:
        answered, language = saved
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return JsonResponse({"saved": True, "answered": answered})
    respondent = access_respondent_for_answer(request.firm, token)
    _survey_language(request, respondent)
    try:
        item_id, value = _answer_payload(request)
        answer = services.answer_save(
            firm=request.firm, respondent=respondent, item_id=item_id, value=value
        )
    except BadJson as exc:
        status = 413 if exc.code == PlatformErrorCode.BODY_TOO_LARGE else 400
        return JsonResponse(
            {"error": _("That answer could not be read."), "codes": [exc.code]}, status=status
        )
    except ValidationError as exc:
        return JsonResponse(
            {"error": " ".join(exc.messages), "codes": error_codes_of(exc)}, status=400
        )
    return JsonResponse({"saved": True, "answered": answer.answered})


@require_POST
@firm_public
@link_page
def survey_language(request, firm_slug, token):
    respondent = access_respondent_by_token(request.firm, token)
    with contextlib.suppress(ValidationError):  # an unknown language keeps the current one
        services.respondent_set_language(
            respondent=respondent, language=request.POST.get("language", "")
        )
    target = "assessments:survey_result" if respondent.completed_at else "assessments:survey"
    return redirect(target, firm_slug=firm_slug, token=token)


@firm_public
@link_page
def survey_result(request, firm_slug, token):
    respondent = access_respondent_by_token(request.firm, token)
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
            "result": selectors.result_view(respondent=respondent, language=language),
            "lead_form": lead_form,
            "token": token,
            "survey_language": language,
        },
        status=400 if lead_form is not None and lead_form.errors else 200,
    )


def _visitor_language(campaign) -> str:
    language = translation.get_language()[:2] if translation.get_language() else "en"
    return language if language in Language.values else campaign.default_language


@firm_public
@link_page
def open_link(request, firm_slug, token):
    """A firm's public "take the test" page."""
    campaign = access_campaign_by_open_token(request.firm, token)
    if not campaign.accepts_answers:
        return _message(request, "closed", status=410, campaign=campaign)
    language = _visitor_language(campaign)
    if request.method == "POST":
        if is_ratelimited(
            request,
            group="open-link",
            key="ip",
            rate=settings.OPEN_LINK_RATE,
            method="POST",
            increment=True,
        ):
            return _message(request, "busy", status=429)
        try:
            _respondent, respondent_token = services.open_link_start(
                firm=request.firm, campaign=campaign, language=language
            )
        except ValidationError:
            return _message(request, "closed", status=410, campaign=campaign)
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
@link_page
def unsubscribe(request, firm_slug, token):
    respondent = access_respondent_by_token(request.firm, token)
    _survey_language(request, respondent)
    if request.method == "POST":
        services.respondent_unsubscribe(respondent=respondent)
        return _message(request, "unsubscribed")
    return render(request, "assessments/unsubscribe.html", {"respondent": respondent})


@firm_public
@link_page
def survey_erase(request, firm_slug, token):
    """The respondent's own erasure request (from the result page or an email): a confirmation
    page, then the erasure; the link stops working, so the answer is a neutral page."""
    respondent = access_respondent_by_token(request.firm, token)
    _survey_language(request, respondent)
    if request.method == "POST":
        # A second, racing request finds nothing left to erase: the outcome is the same.
        with contextlib.suppress(ValidationError):
            services.respondent_erase(firm=request.firm, respondent=respondent)
        return _message(request, "erased")
    return render(
        request,
        "assessments/erase_confirm.html",
        {
            "respondent": respondent,
            "token": token,
            "keeps_answers": selectors.erasure_keeps_answers(campaign=respondent.campaign),
        },
    )
