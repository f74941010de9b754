"""Client organisations and their executives' access."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmo_platform.errors import field_error
from pmo_platform.text import check_single_line

from ..error_codes import AccountsErrorCode
from ..models import ClientExecutive, ClientOrganisation, Firm, User
from .audit import audit

CLIENT_FIELDS = ("name", "industry", "size_band", "country")


def _save_client(client: ClientOrganisation, update_fields=None) -> None:
    client.full_clean(exclude=["firm", "created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            client.save(update_fields=update_fields)
    except IntegrityError:
        raise field_error(
            "name",
            _("Your firm already has a client with this name."),
            AccountsErrorCode.CLIENT_NAME_TAKEN,
        ) from None


@transaction.atomic
def client_create(
    *, firm: Firm, actor: User, name: str, industry: str, size_band: str, country: str
) -> ClientOrganisation:
    client = ClientOrganisation(
        firm=firm,
        name=check_single_line("name", name),
        industry=industry,
        size_band=size_band,
        country=country,
        created_by=actor,
    )
    _save_client(client)
    audit(firm=firm, actor=actor, action="client.created", target=client, name=client.name)
    return client


@transaction.atomic
def client_update(
    *,
    firm: Firm,
    actor: User,
    client: ClientOrganisation,
    name: str,
    industry: str,
    size_band: str,
    country: str,
) -> ClientOrganisation:
    # The locked row, not the caller's copy: an archive committed meanwhile stays archived.
    client = ClientOrganisation.objects.select_for_update().get(pk=client.pk)
    before = {f: str(getattr(client, f)) for f in CLIENT_FIELDS}
    client.name, client.industry, client.size_band, client.country = (
        check_single_line("name", name),
        industry,
        size_band,
        country,
    )
    _save_client(client, update_fields=CLIENT_FIELDS)
    after = {f: str(getattr(client, f)) for f in CLIENT_FIELDS}
    changes = {f: [before[f], after[f]] for f in CLIENT_FIELDS if before[f] != after[f]}
    audit(firm=firm, actor=actor, action="client.updated", target=client, changes=changes)
    return client


@transaction.atomic
def client_set_archived(
    *, firm: Firm, actor: User, client: ClientOrganisation, archived: bool
) -> None:
    client.archived_at = timezone.now() if archived else None
    client.save(update_fields=["archived_at"])
    action = "client.archived" if archived else "client.unarchived"
    audit(firm=firm, actor=actor, action=action, target=client)


@transaction.atomic
def executive_revoke(*, firm: Firm, actor: User, grant: ClientExecutive) -> None:
    audit(
        firm=firm,
        actor=actor,
        action="executive.revoked",
        target=grant,
        client_id=grant.client_id,
        email=grant.user.email,
    )
    grant.delete()
