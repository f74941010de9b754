"""Webhook endpoints, for owners and admins: list, register (the secret is shown once), the
delivery log, edit, rotate the secret (shown once), delete, replay, send a test event."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmo_platform.forms import add_service_errors, perform

from .. import selectors_webhooks as selectors
from .. import services
from ..access import access_webhook_delivery, access_webhook_endpoint
from ..forms import WebhookEndpointForm
from ..permissions import firm_managers

# The secret of a just created or rotated endpoint waits here for the one page that shows it.
SHOW_ONCE = "webhook_secret_once"


def _show_once(request, endpoint) -> None:
    request.session[SHOW_ONCE] = {"endpoint_id": endpoint.pk, "secret": endpoint.secret}


def _take_secret(request, endpoint) -> str:
    shown = request.session.pop(SHOW_ONCE, None) or {}
    return shown.get("secret", "") if shown.get("endpoint_id") == endpoint.pk else ""


def _to_detail(endpoint):
    return redirect(
        "accounts:webhook_detail", firm_slug=endpoint.firm.slug, endpoint_id=endpoint.pk
    )


@firm_managers
def webhook_list(request, firm_slug):
    return render(
        request,
        "accounts/webhooks/list.html",
        {"endpoints": selectors.webhook_endpoints(firm=request.firm)},
    )


@firm_managers
def webhook_create(request, firm_slug):
    form = WebhookEndpointForm(request.POST or None, initial={"enabled": True})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint = services.webhook_endpoint_create(
                    firm=request.firm, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _show_once(request, endpoint)
                messages.success(request, _("Endpoint added."))
                return _to_detail(endpoint)
        status = 400
    return render(
        request, "accounts/webhooks/form.html", {"form": form, "endpoint": None}, status=status
    )


@firm_managers
def webhook_detail(request, firm_slug, endpoint_id):
    endpoint = access_webhook_endpoint(request.firm_access, endpoint_id)
    return render(
        request,
        "accounts/webhooks/detail.html",
        {
            "endpoint": endpoint,
            "secret": _take_secret(request, endpoint),
            "deliveries": selectors.webhook_deliveries(firm=request.firm, endpoint=endpoint),
        },
    )


@firm_managers
def webhook_edit(request, firm_slug, endpoint_id):
    endpoint = access_webhook_endpoint(request.firm_access, endpoint_id)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
    }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.webhook_endpoint_update(
                    firm=request.firm, actor=request.user, endpoint=endpoint, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Endpoint saved."))
                return _to_detail(endpoint)
        status = 400
    return render(
        request,
        "accounts/webhooks/form.html",
        {"form": form, "endpoint": endpoint},
        status=status,
    )


@require_POST
@firm_managers
def webhook_rotate(request, firm_slug, endpoint_id):
    endpoint = access_webhook_endpoint(request.firm_access, endpoint_id)
    endpoint = services.webhook_endpoint_rotate_secret(
        firm=request.firm, actor=request.user, endpoint=endpoint
    )
    _show_once(request, endpoint)
    messages.success(request, _("A new secret was made. The old one stops working in 24 hours."))
    return _to_detail(endpoint)


@require_POST
@firm_managers
def webhook_delete(request, firm_slug, endpoint_id):
    endpoint = access_webhook_endpoint(request.firm_access, endpoint_id)
    services.webhook_endpoint_delete(firm=request.firm, actor=request.user, endpoint=endpoint)
    messages.success(request, _("Endpoint deleted."))
    return redirect("accounts:webhook_list", firm_slug=firm_slug)


@require_POST
@firm_managers
def webhook_test(request, firm_slug, endpoint_id):
    endpoint = access_webhook_endpoint(request.firm_access, endpoint_id)
    perform(
        request,
        lambda: services.webhook_send_test(
            firm=request.firm, actor=request.user, endpoint=endpoint
        ),
        success=_("Test event sent. It appears below in a few seconds."),
    )
    return _to_detail(endpoint)


@require_POST
@firm_managers
def webhook_replay(request, firm_slug, endpoint_id, delivery_id):
    endpoint = access_webhook_endpoint(request.firm_access, endpoint_id)
    delivery = access_webhook_delivery(request.firm_access, endpoint, delivery_id)
    perform(
        request,
        lambda: services.webhook_delivery_replay(
            firm=request.firm, actor=request.user, delivery=delivery
        ),
        success=_("The delivery is being sent again."),
    )
    return _to_detail(endpoint)


@require_POST
@firm_managers
def webhook_replay_failed(request, firm_slug, endpoint_id):
    endpoint = access_webhook_endpoint(request.firm_access, endpoint_id)
    perform(
        request,
        lambda: services.webhook_replay_failed(
            firm=request.firm, actor=request.user, endpoint=endpoint
        ),
        success=_("Failed deliveries are being sent again."),
    )
    return _to_detail(endpoint)
