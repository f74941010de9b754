"""Views parse input, call a service or selector, and render. Firm views run inside the firm scope
entered by `FirmScopeMiddleware`; the decorators narrow access by role."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from pmo_platform.forms import add_service_errors
from pmo_platform.tenancy import firm_public

from . import selectors, services
from .forms import (
    AcceptInvitationForm,
    BrandingForm,
    ClientForm,
    ColleagueInvitationForm,
    ExecutiveInvitationForm,
    MemberRoleForm,
)
from .models import InvitationRole, Language, User
from .permissions import firm_managers, firm_staff


def home(request):
    """The landing page, or the list of places a logged-in person can go."""
    if not request.user.is_authenticated:
        return render(request, "accounts/landing.html")
    workspaces = selectors.workspaces_for_user(request.user)
    if len(workspaces) == 1:
        return redirect(workspace_url(workspaces[0]))
    return render(
        request,
        "accounts/workspaces.html",
        {"workspaces": [(w, workspace_url(w)) for w in workspaces]},
    )


def workspace_url(workspace) -> str:
    if workspace.client is not None:
        return reverse(
            "reports:portal",
            kwargs={"firm_slug": workspace.firm.slug, "client_id": workspace.client.pk},
        )
    return reverse("accounts:dashboard", kwargs={"firm_slug": workspace.firm.slug})


@require_POST
def set_language(request):
    """Switch the interface language and remember it on the account."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language in Language.values and check_for_language(language):
        from django.conf import settings

        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SECURE_COOKIES,
        )
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=language)
    return response


# --- Firm workspace -----------------------------------------------------------------------------


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


def _client_or_404(request, client_id):
    client = selectors.client_get(firm=request.firm, pk=client_id)
    if client is None:
        raise Http404
    return client


@firm_staff
def client_detail(request, firm_slug, client_id):
    client = _client_or_404(request, client_id)
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
    client = _client_or_404(request, client_id)
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
    client = _client_or_404(request, client_id)
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
    client = _client_or_404(request, client_id)
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
    client = _client_or_404(request, client_id)
    grant = (
        selectors.client_executives(firm=request.firm, client=client).filter(pk=grant_id).first()
    )
    if grant is None:
        raise Http404
    services.executive_revoke(firm=request.firm, actor=request.user, grant=grant)
    messages.success(request, _("Access removed for %(email)s.") % {"email": grant.user.email})
    return redirect("accounts:client_detail", firm_slug=firm_slug, client_id=client.pk)


# --- Team ---------------------------------------------------------------------------------------


def _team_context(request, form=None):
    firm = request.firm
    return {
        "members": selectors.members_list(firm=firm),
        "invitations": selectors.pending_invitations(firm=firm),
        "invite_form": form
        or ColleagueInvitationForm(
            initial={"language": selectors.branding_for_firm(firm=firm).default_language}
        ),
        "role_form": MemberRoleForm(),
    }


@firm_staff
def team(request, firm_slug):
    return render(request, "accounts/team.html", _team_context(request))


@require_POST
@firm_managers
def team_invite(request, firm_slug):
    form = ColleagueInvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                firm=request.firm, invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("accounts:team", firm_slug=firm_slug)
    return render(request, "accounts/team.html", _team_context(request, form), status=400)


def _invitation_for_action(request, invitation_id):
    invitation = selectors.invitation_get(firm=request.firm, pk=invitation_id)
    if invitation is None:
        raise Http404
    # Colleague invitations are managed by owners and admins; executive ones by all staff.
    if invitation.client_id is None and not request.firm_access.can_manage_firm:
        raise Http404
    return invitation


def _back_from_invitation(invitation, firm_slug):
    if invitation.client_id:
        return redirect(
            "accounts:client_detail", firm_slug=firm_slug, client_id=invitation.client_id
        )
    return redirect("accounts:team", firm_slug=firm_slug)


@require_POST
@firm_staff
def invitation_resend(request, firm_slug, invitation_id):
    invitation = _invitation_for_action(request, invitation_id)
    try:
        services.invitation_resend(firm=request.firm, actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("A new invitation link was sent to %(email)s.") % {"email": invitation.email}
        )
    return _back_from_invitation(invitation, firm_slug)


@require_POST
@firm_staff
def invitation_revoke(request, firm_slug, invitation_id):
    invitation = _invitation_for_action(request, invitation_id)
    try:
        services.invitation_revoke(firm=request.firm, actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
        )
    return _back_from_invitation(invitation, firm_slug)


def _member_or_404(request, member_id):
    membership = selectors.member_get(firm=request.firm, pk=member_id)
    if membership is None:
        raise Http404
    return membership


@require_POST
@firm_managers
def member_role(request, firm_slug, member_id):
    membership = _member_or_404(request, member_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        try:
            services.member_update_role(
                firm=request.firm,
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Role updated."))
    return redirect("accounts:team", firm_slug=firm_slug)


@require_POST
@firm_managers
def member_remove(request, firm_slug, member_id):
    membership = _member_or_404(request, member_id)
    try:
        services.member_remove(firm=request.firm, actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(email)s was removed from the firm.") % {"email": membership.user.email}
        )
    return redirect("accounts:team", firm_slug=firm_slug)


# --- Firm settings ------------------------------------------------------------------------------


@firm_managers
def branding(request, firm_slug):
    current = selectors.branding_for_firm(firm=request.firm)
    initial = {
        "sender_name": current.sender_name,
        "reply_to": current.reply_to,
        "primary_color": current.primary_color,
        "accent_color": current.accent_color,
        "email_footer": current.email_footer,
        "default_language": current.default_language,
    }
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.branding_update(firm=request.firm, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Branding saved."))
                return redirect("accounts:branding", firm_slug=firm_slug)
        status = 400
    return render(
        request, "accounts/branding.html", {"form": form, "current": current}, status=status
    )


@firm_managers
def audit_trail(request, firm_slug):
    return render(
        request, "accounts/audit.html", {"entries": selectors.audit_entries(firm=request.firm)}
    )


@firm_public
@cache_control(public=True, max_age=31536000, immutable=True)
def logo(request, firm_slug, digest):
    """The firm's logo, public because emails and respondent pages show it."""
    current = selectors.branding_for_firm(firm=request.firm)
    if not current.has_logo or current.logo_sha256 != digest:
        raise Http404
    response = HttpResponse(bytes(current.logo), content_type=current.logo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


# --- Accepting an invitation --------------------------------------------------------------------


def _invalid_invitation(request, reason, invitation=None, status=410):
    return render(
        request,
        "accounts/invitation_invalid.html",
        {"reason": reason, "invitation": invitation},
        status=status,
    )


@firm_public
def invitation_open(request, firm_slug, token):
    firm = request.firm
    invitation = selectors.invitation_by_token(firm=firm, raw_token=token)
    if invitation is None:
        return _invalid_invitation(request, "unknown", status=404)
    if invitation.accepted_at is not None:
        return _invalid_invitation(request, "used", invitation)
    if invitation.revoked_at is not None:
        return _invalid_invitation(request, "revoked", invitation)
    if invitation.is_expired:
        return _invalid_invitation(request, "expired", invitation)

    user = request.user
    context = {"invitation": invitation}
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            context["wrong_account"] = True
            return render(request, "accounts/invitation_accept.html", context, status=403)
        if request.method == "POST":
            return _accept(request, invitation, user)
        return render(request, "accounts/invitation_accept.html", context)

    if User.objects.filter(email__iexact=invitation.email).exists():
        context["login_url"] = reverse("account_login") + "?next=" + request.path
        return render(request, "accounts/invitation_accept.html", context)

    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.user_create_for_invitation(
                invitation=invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _accept(request, invitation, new_user, log_in=True)
    context["form"] = form
    return render(
        request,
        "accounts/invitation_accept.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _accept(request, invitation, user, log_in=False):
    try:
        services.invitation_accept(firm=request.firm, invitation=invitation, user=user)
    except ValidationError as exc:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"reason": "error", "message": " ".join(exc.messages), "invitation": invitation},
            status=409,
        )
    if log_in:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome to %(firm)s.") % {"firm": request.firm.name})
    if invitation.client_id:
        return redirect(
            "reports:portal", firm_slug=request.firm.slug, client_id=invitation.client_id
        )
    return redirect("accounts:dashboard", firm_slug=request.firm.slug)


@login_required
def account_settings(request):
    return render(request, "accounts/account_settings.html")
