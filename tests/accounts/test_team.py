"""Managing colleagues, and tenant tasks that are handed another firm's ids."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import AuditEntry, Invitation, Membership
from accounts.tasks import send_invitation_email
from pmo_platform.tenancy import firm_context
from tests.helpers import message_codes, run_in_worker, wait_for


@pytest.mark.django_db
def test_owner_changes_a_role_and_removes_a_colleague(client, firm_a):
    client.force_login(firm_a.owner)
    with firm_context(firm_a.firm):
        member = Membership.objects.get(user=firm_a.consultant)
    slug = firm_a.firm.slug
    client.post(reverse("accounts:member_role", args=[slug, member.pk]), {"role": "admin"})
    with firm_context(firm_a.firm):
        assert Membership.objects.get(pk=member.pk).role == "admin"
        assert AuditEntry.objects.filter(action="member.role_changed").exists()
    client.post(reverse("accounts:member_remove", args=[slug, member.pk]))
    with firm_context(firm_a.firm):
        assert not Membership.objects.filter(pk=member.pk).exists()
        assert (
            AuditEntry.objects.get(action="member.removed").data["email"] == firm_a.consultant.email
        )
    # The removed colleague is out.
    client.force_login(firm_a.consultant)
    assert client.get(reverse("accounts:dashboard", args=[slug])).status_code == 404


@pytest.mark.django_db
def test_owner_cannot_be_demoted_or_removed_and_bad_roles_are_refused(client, firm_a):
    with firm_context(firm_a.firm):
        owner = Membership.objects.get(role="owner")
        member = Membership.objects.get(user=firm_a.consultant)
        Membership.objects.filter(pk=member.pk).update(role="admin")
    client.force_login(firm_a.consultant)  # now an admin
    slug = firm_a.firm.slug
    response = client.post(
        reverse("accounts:member_role", args=[slug, owner.pk]), {"role": "consultant"}, follow=True
    )
    assert "owner_role_fixed" in message_codes(response)
    response = client.post(reverse("accounts:member_remove", args=[slug, owner.pk]), follow=True)
    assert "owner_not_removable" in message_codes(response)
    response = client.post(
        reverse("accounts:member_role", args=[slug, member.pk]), {"role": "owner"}, follow=True
    )
    assert "invalid_role" in message_codes(response)
    response = client.post(reverse("accounts:member_remove", args=[slug, member.pk]), follow=True)
    assert "cannot_remove_self" in message_codes(response)
    with firm_context(firm_a.firm):
        assert sorted(Membership.objects.values_list("role", flat=True)) == ["admin", "owner"]


@pytest.mark.django_db(transaction=True)
def test_task_with_one_firm_and_another_firms_ids_touches_nothing(celery_worker, firm_a, firm_b):
    with firm_context(firm_b.firm):
        invitation = services.invitation_create(
            firm=firm_b.firm, invited_by=firm_b.owner, email="b-only@example.com", role="consultant"
        )
    wait_for(lambda: len(mail.outbox) == 1)
    with firm_context(firm_b.firm):
        Invitation.objects.filter(pk=invitation.pk).update(email_sent_at=None)
    result = run_in_worker(
        send_invitation_email, firm_id=firm_a.firm.pk, invitation_id=invitation.pk
    )
    assert result is False
    assert len(mail.outbox) == 1
    with firm_context(firm_b.firm):
        assert Invitation.objects.get(pk=invitation.pk).email_sent_at is None
