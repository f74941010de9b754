"""The firm's team: members, their roles and invitations (staff see, managers change)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmo_platform.forms import add_service_errors, perform

from .. import selectors, services
from ..access import access_invitation, access_member
from ..error_codes import AccountsErrorCode
from ..forms import ColleagueInvitationForm, MemberRoleForm
from ..permissions import firm_managers, firm_staff


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


def _back_from_invitation(invitation, firm_slug):
    if invitation.client_id:
        return redirect(
            "accounts:client_detail", firm_slug=firm_slug, client_id=invitation.client_id
        )
    return redirect("accounts:team", firm_slug=firm_slug)


def _invitation_action(request, firm_slug, invitation_id, service, success):
    invitation = access_invitation(request.firm_access, invitation_id)
    perform(
        request,
        lambda: service(firm=request.firm, actor=request.user, invitation=invitation),
        success=success % {"email": invitation.email},
    )
    return _back_from_invitation(invitation, firm_slug)


@require_POST
@firm_staff
def invitation_resend(request, firm_slug, invitation_id):
    return _invitation_action(
        request,
        firm_slug,
        invitation_id,
        services.invitation_resend,
        _("A new invitation link was sent to %(email)s."),
    )


@require_POST
@firm_staff
def invitation_revoke(request, firm_slug, invitation_id):
    return _invitation_action(
        request,
        firm_slug,
        invitation_id,
        services.invitation_revoke,
        _("The invitation to %(email)s was withdrawn."),
    )


@require_POST
@firm_managers
def member_role(request, firm_slug, member_id):
    membership = access_member(request.firm_access, member_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Choose a valid role."), extra_tags=AccountsErrorCode.INVALID_ROLE
        )
    else:
        perform(
            request,
            lambda: services.member_update_role(
                firm=request.firm,
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
            ),
            success=_("Role updated."),
        )
    return redirect("accounts:team", firm_slug=firm_slug)


@require_POST
@firm_managers
def member_remove(request, firm_slug, member_id):
    membership = access_member(request.firm_access, member_id)
    perform(
        request,
        lambda: services.member_remove(
            firm=request.firm, actor=request.user, membership=membership
        ),
        success=_("%(email)s was removed from the firm.") % {"email": membership.user.email},
    )
    return redirect("accounts:team", firm_slug=firm_slug)
