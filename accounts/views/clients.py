"""The firm's client organisations and their executives' access (firm staff)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmo_platform.forms import add_service_errors

from .. import selectors, services
from ..access import access_client, access_executive_grant
from ..forms import ClientForm, ExecutiveInvitationForm
from ..models import InvitationRole
from ..permissions import firm_staff


@firm_staff
def dashboard(request, firm_slug):
    firm = request.firm
    return render(
        request,
        "accounts/dashboard.html",
        {
            "counts": selectors.firm_dashboard_counts(firm=firm),
            "recent_clients": selectors.client_list(firm=firm)[:5],
        },
    )


@firm_staff
def client_list(request, firm_slug):
    archived = request.GET.get("archived") == "1"
    return render(
        request,
        "accounts/client_list.html",
        {
            "clients": selectors.client_list(firm=request.firm, archived=archived),
            "archived": archived,
        },
    )


@firm_staff
def client_create(request, firm_slug):
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(
                firm=request.firm, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Client “%(name)s” created.") % {"name": client.name})
            return redirect("accounts:client_detail", firm_slug=firm_slug, client_id=client.pk)
    return render(request, "accounts/client_form.html", {"form": form, "client": None})


@firm_staff
def client_detail(request, firm_slug, client_id):
    client = access_client(request.firm_access, client_id)
    return render(
        request,
        "accounts/client_detail.html",
        {
            "client": client,
            "executives": selectors.client_executives(firm=request.firm, client=client),
            "invitations": selectors.pending_invitations(firm=request.firm, client=client),
            "invite_form": ExecutiveInvitationForm(
                initial={
                    "language": selectors.branding_for_firm(firm=request.firm).default_language
                }
            ),
        },
    )


@firm_staff
def client_edit(request, firm_slug, client_id):
    client = access_client(request.firm_access, client_id)
    initial = {f: getattr(client, f) for f in services.CLIENT_FIELDS}
    initial["country"] = client.country.code
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(
                firm=request.firm, actor=request.user, client=client, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("accounts:client_detail", firm_slug=firm_slug, client_id=client.pk)
    return render(request, "accounts/client_form.html", {"form": form, "client": client})


@require_POST
@firm_staff
def client_archive(request, firm_slug, client_id):
    client = access_client(request.firm_access, client_id)
    archive = request.POST.get("archive", "1") == "1"
    services.client_set_archived(
        firm=request.firm, actor=request.user, client=client, archived=archive
    )
    if archive:
        messages.success(request, _("“%(name)s” is archived.") % {"name": client.name})
    else:
        messages.success(request, _("“%(name)s” is active again.") % {"name": client.name})
    return redirect("accounts:client_detail", firm_slug=firm_slug, client_id=client.pk)


@require_POST
@firm_staff
def executive_invite(request, firm_slug, client_id):
    client = access_client(request.firm_access, client_id)
    form = ExecutiveInvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                firm=request.firm,
                invited_by=request.user,
                role=InvitationRole.EXECUTIVE,
                client=client,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("accounts:client_detail", firm_slug=firm_slug, client_id=client.pk)
    return render(
        request,
        "accounts/client_detail.html",
        {
            "client": client,
            "executives": selectors.client_executives(firm=request.firm, client=client),
            "invitations": selectors.pending_invitations(firm=request.firm, client=client),
            "invite_form": form,
        },
        status=400,
    )


@require_POST
@firm_staff
def executive_revoke(request, firm_slug, client_id, grant_id):
    client = access_client(request.firm_access, client_id)
    grant = access_executive_grant(request.firm_access, client, grant_id)
    services.executive_revoke(firm=request.firm, actor=request.user, grant=grant)
    messages.success(request, _("Access removed for %(email)s.") % {"email": grant.user.email})
    return redirect("accounts:client_detail", firm_slug=firm_slug, client_id=client.pk)
