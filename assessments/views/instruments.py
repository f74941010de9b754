"""The firm's instrument pages: the versions, one version's statements and advice, the firm's own
copy, and editing statements, dimensions and advice (a frozen version forks a new one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import firm_staff
from pmo_platform.forms import add_service_errors, service_error_message

from .. import selectors, services
from ..access import access_advice, access_dimension, access_item, access_version
from ..forms import AdviceForm, DimensionForm, ItemForm, NewItemForm


def _version_of(obj):
    return obj.version if hasattr(obj, "version") else obj.dimension.version


def _to_version(firm_slug, version_id):
    return redirect("assessments:version_detail", firm_slug=firm_slug, version_id=version_id)


def _edit_page(request, form, title, version):
    return render(
        request,
        "assessments/instrument_edit.html",
        {"form": form, "title": title, "version": version},
        status=400 if request.method == "POST" else 200,
    )


@firm_staff
def instrument_list(request, firm_slug):
    return render(
        request,
        "assessments/instrument_list.html",
        {"versions": selectors.instruments_overview(firm=request.firm)},
    )


@firm_staff
def version_detail(request, firm_slug, version_id):
    version = access_version(request.firm_access, version_id)
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
    version = access_version(request.firm_access, version_id)
    copy = services.instrument_copy(firm=request.firm, actor=request.user, version=version)
    messages.success(request, _("Your own copy is ready to edit."))
    return _to_version(firm_slug, copy.pk)


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
            version = _version_of(saved)
            if version.pk != _version_of(obj).pk:
                messages.info(
                    request,
                    _("That version is in use, so your change went into a new version %(n)s.")
                    % {"n": version.number},
                )
            else:
                messages.success(request, _("Changes saved."))
            return _to_version(request.firm.slug, version.pk)
    return _edit_page(request, form, template_title, _version_of(obj))


@firm_staff
def item_edit(request, firm_slug, item_id):
    item = access_item(request.firm_access, item_id)
    initial = {
        "text_en": item.text_en,
        "text_sv": item.text_sv,
        "reverse": item.reverse,
        "weight": item.weight,
    }
    return _edit(request, item, ItemForm, initial, services.item_update, "item", item.key)


@firm_staff
def item_add(request, firm_slug, dimension_id):
    dimension = access_dimension(request.firm_access, dimension_id)
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
            return _to_version(firm_slug, item.version_id)
    return _edit_page(request, form, dimension.name_en, dimension.version)


@require_POST
@firm_staff
def item_remove(request, firm_slug, item_id):
    item = access_item(request.firm_access, item_id)
    try:
        version = services.item_remove(firm=request.firm, actor=request.user, item=item)
    except ValidationError as exc:
        service_error_message(request, exc)
        version = item.version
    else:
        messages.success(request, _("Statement removed."))
    return _to_version(firm_slug, version.pk)


@firm_staff
def dimension_edit(request, firm_slug, dimension_id):
    dimension = access_dimension(request.firm_access, dimension_id)
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
    advice = access_advice(request.firm_access, advice_id)
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
