"""Writes for instruments, campaigns, respondents and answers (see accounts/services.py for the
conventions: keyword-only arguments, one transaction, an audit entry, side effects on commit)."""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import string
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Max, Value
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.emails import absolute_url, build_branded_email
from accounts.models import ClientOrganisation, Firm, Language, User
from accounts.selectors import branding_for_firm, hash_token
from accounts.services import audit
from pmo_platform.claims import claim_once
from pmo_platform.tasks import enqueue

from . import scoring
from .models import (
    Advice,
    Answer,
    Campaign,
    CampaignStatus,
    Dimension,
    EmailKind,
    EmailLog,
    Instrument,
    InstrumentVersion,
    Item,
    Respondent,
    RoleLevel,
    Sign,
    Source,
    localized,
)
from .signals import campaign_closed, response_completed

INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"
PLACEHOLDERS = {"name", "client", "firm", "deadline"}
CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 5000
FOLLOWUP_DAYS = (2, 7, 14)

# --- The instrument -----------------------------------------------------------------------------


def builtin_instrument_files() -> list[Path]:
    return sorted(INSTRUMENT_DIR.glob("*.json"))


@transaction.atomic
def instrument_install(*, firm: Firm, data: dict, source: str = "") -> InstrumentVersion:
    """Give `firm` its own rows of a built-in instrument version (idempotent)."""
    instrument, _created = Instrument.objects.get_or_create(
        firm=firm,
        key=data["key"],
        defaults={"name_en": data["name"]["en"], "name_sv": data["name"]["sv"], "is_builtin": True},
    )
    existing = instrument.versions.filter(number=data["version"]).first()
    if existing is not None:
        return existing
    version = InstrumentVersion.objects.create(
        firm=firm,
        instrument=instrument,
        number=data["version"],
        description_en=data["description"]["en"],
        description_sv=data["description"]["sv"],
        scale_labels=data["scale"]["labels"],
        dont_know_label=data["scale"]["dont_know"],
        bands=data["bands"],
        min_answered_share=data.get("min_answered_share", 0.5),
        source=source,
    )
    Sign.objects.bulk_create(
        Sign(
            firm=firm,
            version=version,
            number=s["number"],
            title_en=s["title"]["en"],
            title_sv=s["title"]["sv"],
        )
        for s in data["signs"]
    )
    order = 0
    for position, spec in enumerate(data["dimensions"]):
        dimension = Dimension.objects.create(
            firm=firm,
            version=version,
            key=spec["key"],
            order=position,
            name_en=spec["name"]["en"],
            name_sv=spec["name"]["sv"],
            description_en=spec["description"]["en"],
            description_sv=spec["description"]["sv"],
        )
        items = []
        for item in spec["items"]:
            items.append(
                Item(
                    firm=firm,
                    version=version,
                    dimension=dimension,
                    key=item["key"],
                    order=order,
                    sign=item["sign"],
                    text_en=item["text"]["en"],
                    text_sv=item["text"]["sv"],
                    reverse=item["reverse"],
                    weight=item.get("weight", 1),
                )
            )
            order += 1
        Item.objects.bulk_create(items)
        Advice.objects.bulk_create(
            Advice(
                firm=firm,
                dimension=dimension,
                band=band,
                step_en=advice["step"]["en"],
                step_sv=advice["step"]["sv"],
                tips_en=advice["tips"]["en"],
                tips_sv=advice["tips"]["sv"],
            )
            for band, advice in spec["advice"].items()
        )
    return version


def install_builtin_instruments(*, firm: Firm) -> list[InstrumentVersion]:
    return [
        instrument_install(firm=firm, data=json.loads(path.read_text("utf-8")), source=path.name)
        for path in builtin_instrument_files()
    ]


def _copy_version_rows(*, source: InstrumentVersion, target: InstrumentVersion) -> None:
    firm = source.firm
    Sign.objects.bulk_create(
        Sign(firm=firm, version=target, number=s.number, title_en=s.title_en, title_sv=s.title_sv)
        for s in source.signs.all()
    )
    for dimension in source.dimensions.prefetch_related("items", "advice"):
        copy = Dimension.objects.create(
            firm=firm,
            version=target,
            key=dimension.key,
            order=dimension.order,
            name_en=dimension.name_en,
            name_sv=dimension.name_sv,
            description_en=dimension.description_en,
            description_sv=dimension.description_sv,
        )
        Item.objects.bulk_create(
            Item(
                firm=firm,
                version=target,
                dimension=copy,
                key=i.key,
                order=i.order,
                sign=i.sign,
                text_en=i.text_en,
                text_sv=i.text_sv,
                reverse=i.reverse,
                weight=i.weight,
            )
            for i in dimension.items.all()
        )
        Advice.objects.bulk_create(
            Advice(
                firm=firm,
                dimension=copy,
                band=a.band,
                step_en=a.step_en,
                step_sv=a.step_sv,
                tips_en=a.tips_en,
                tips_sv=a.tips_sv,
            )
            for a in dimension.advice.all()
        )


def _new_version(*, instrument: Instrument, source: InstrumentVersion) -> InstrumentVersion:
    number = (instrument.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = InstrumentVersion.objects.create(
        firm=instrument.firm,
        instrument=instrument,
        number=number,
        description_en=source.description_en,
        description_sv=source.description_sv,
        scale_labels=source.scale_labels,
        dont_know_label=source.dont_know_label,
        bands=source.bands,
        min_answered_share=source.min_answered_share,
        source=f"{source.instrument.key} v{source.number}",
    )
    _copy_version_rows(source=source, target=version)
    return version


@transaction.atomic
def instrument_copy(*, firm: Firm, actor: User, version: InstrumentVersion) -> InstrumentVersion:
    """Make the firm's own editable instrument from any version (usually the built-in one)."""
    base_key = f"{version.instrument.key}-own"[:50]
    key, n = base_key, 1
    while Instrument.objects.filter(key=key).exists():
        n += 1
        key = f"{base_key}-{n}"
    instrument = Instrument.objects.create(
        firm=firm,
        key=key,
        name_en=_copy_name(version.instrument.name_en, "en"),
        name_sv=_copy_name(version.instrument.name_sv, "sv"),
        based_on=version.instrument,
    )
    copy = _new_version(instrument=instrument, source=version)
    audit(
        firm=firm,
        actor=actor,
        action="instrument.copied",
        target=instrument,
        source_version=version.pk,
    )
    return copy


def _copy_name(name: str, language: str) -> str:
    with translation.override(language):
        return (_("%(name)s (our version)") % {"name": name})[:200]


def editable_version(*, firm: Firm, actor: User, version: InstrumentVersion) -> InstrumentVersion:
    """The version an edit applies to: this one, or a new one when this one is frozen."""
    if version.instrument.is_builtin:
        raise ValidationError(
            _("The built-in instrument cannot be edited. Make your own copy first.")
        )
    locked = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_frozen:
        return locked
    newer = locked.instrument.versions.filter(number__gt=locked.number, frozen_at__isnull=True)
    draft = newer.order_by("-number").first()
    if draft is not None:
        return draft
    fork = _new_version(instrument=locked.instrument, source=locked)
    audit(
        firm=firm,
        actor=actor,
        action="instrument.version_created",
        target=fork,
        number=fork.number,
        reason="edit of a frozen version",
    )
    return fork


def editable_counterpart(*, firm: Firm, actor: User, obj):
    """The version an edit of `obj` (an item, dimension or advice) goes into, and `obj`'s
    counterpart there: `obj` itself, or its copy in the new version when `obj`'s is frozen."""
    own_version = obj.dimension.version if isinstance(obj, Advice) else obj.version
    version = editable_version(firm=firm, actor=actor, version=own_version)
    if version.pk == own_version.pk:
        return version, obj
    if isinstance(obj, Item):
        return version, version.items.get(key=obj.key)
    if isinstance(obj, Dimension):
        return version, version.dimensions.get(key=obj.key)
    return version, Advice.objects.get(
        dimension__version=version, dimension__key=obj.dimension.key, band=obj.band
    )


@transaction.atomic
def item_update(
    *, firm: Firm, actor: User, item: Item, text_en: str, text_sv: str, reverse: bool, weight
) -> Item:
    version, target = editable_counterpart(firm=firm, actor=actor, obj=item)
    target.text_en, target.text_sv, target.reverse, target.weight = (
        text_en,
        text_sv,
        reverse,
        weight,
    )
    target.full_clean(exclude=["firm", "version", "dimension"])
    target.save()
    audit(
        firm=firm,
        actor=actor,
        action="instrument.item_updated",
        target=target,
        version=version.number,
        key=target.key,
    )
    return target


@transaction.atomic
def item_add(
    *,
    firm: Firm,
    actor: User,
    dimension: Dimension,
    text_en: str,
    text_sv: str,
    reverse: bool,
    weight,
    sign: int,
) -> Item:
    """Add a statement to a dimension (in a new version when this one is frozen)."""
    version, target = editable_counterpart(firm=firm, actor=actor, obj=dimension)
    last = target.items.order_by("-order").first()
    number = version.items.count() + 1
    key = f"{target.key}_{number}"
    while version.items.filter(key=key).exists():
        number += 1
        key = f"{target.key}_{number}"
    # Keep the survey order: the new statement goes right after this dimension's last one.
    order = (last.order + 1) if last else 0
    version.items.filter(order__gte=order).update(order=F("order") + 1)
    item = Item(
        firm=firm,
        version=version,
        dimension=target,
        key=key,
        order=order,
        sign=sign,
        text_en=text_en,
        text_sv=text_sv,
        reverse=reverse,
        weight=weight,
    )
    item.full_clean(exclude=["firm", "version", "dimension"])
    item.save()
    audit(
        firm=firm,
        actor=actor,
        action="instrument.item_added",
        target=item,
        version=version.number,
        key=key,
    )
    return item


@transaction.atomic
def item_remove(*, firm: Firm, actor: User, item: Item) -> InstrumentVersion:
    """Remove a statement (from a new version when this one is frozen); a dimension keeps one."""
    version, target = editable_counterpart(firm=firm, actor=actor, obj=item)
    if target.dimension.items.count() <= 1:
        raise ValidationError(_("A dimension needs at least one statement."))
    audit(
        firm=firm,
        actor=actor,
        action="instrument.item_removed",
        target=target,
        version=version.number,
        key=target.key,
    )
    target.delete()
    return version


@transaction.atomic
def dimension_update(
    *,
    firm: Firm,
    actor: User,
    dimension: Dimension,
    name_en: str,
    name_sv: str,
    description_en: str,
    description_sv: str,
) -> Dimension:
    version, target = editable_counterpart(firm=firm, actor=actor, obj=dimension)
    target.name_en, target.name_sv = name_en, name_sv
    target.description_en, target.description_sv = description_en, description_sv
    target.save()
    audit(
        firm=firm,
        actor=actor,
        action="instrument.dimension_updated",
        target=target,
        version=version.number,
        key=target.key,
    )
    return target


@transaction.atomic
def advice_update(
    *,
    firm: Firm,
    actor: User,
    advice: Advice,
    step_en: str,
    step_sv: str,
    tips_en: list[str],
    tips_sv: list[str],
) -> Advice:
    version, target = editable_counterpart(firm=firm, actor=actor, obj=advice)
    target.step_en, target.step_sv, target.tips_en, target.tips_sv = (
        step_en,
        step_sv,
        tips_en,
        tips_sv,
    )
    target.save()
    audit(
        firm=firm,
        actor=actor,
        action="instrument.advice_updated",
        target=target,
        version=version.number,
        dimension=advice.dimension.key,
        band=advice.band,
    )
    return target


# --- Campaigns ----------------------------------------------------------------------------------


def validate_placeholders(text: str, field: str) -> None:
    try:
        fields = [
            (name, spec, conversion)
            for _lit, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError:
        raise ValidationError(
            {
                field: _(
                    "Unbalanced braces. Use {name}, {client}, {firm} or {deadline}, "
                    "or write {{ and }} for braces."
                )
            }
        ) from None
    names = {name for name, _spec, _conversion in fields}
    if any(spec or conversion for _name, spec, conversion in fields):
        raise ValidationError(
            {field: _("Write placeholders plainly, such as {name}, without : or ! after the name.")}
        )
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValidationError(
            {
                field: _(
                    "Unknown placeholder %(names)s. Use {name}, {client}, {firm} or {deadline}."
                )
                % {"names": ", ".join(f"{{{n}}}" for n in sorted(unknown))}
            }
        )


CAMPAIGN_FIELDS = (
    "name",
    "closes_at",
    "opens_at",
    "default_language",
    "invitation_subject_en",
    "invitation_body_en",
    "invitation_subject_sv",
    "invitation_body_sv",
    "reminder_interval_days",
    "max_reminders",
    "anonymous",
)


def _validate_campaign(campaign: Campaign) -> None:
    for field in (
        "invitation_subject_en",
        "invitation_body_en",
        "invitation_subject_sv",
        "invitation_body_sv",
    ):
        validate_placeholders(getattr(campaign, field), field)
    if campaign.closes_at <= timezone.now() and campaign.status in (
        CampaignStatus.DRAFT,
        CampaignStatus.SCHEDULED,
        CampaignStatus.OPEN,
    ):
        raise ValidationError({"closes_at": _("The close date must be in the future.")})
    if campaign.opens_at and campaign.opens_at >= campaign.closes_at:
        raise ValidationError({"opens_at": _("The campaign must open before it closes.")})
    campaign.full_clean(exclude=["firm", "client", "version", "created_by"])


@transaction.atomic
def campaign_create(
    *,
    firm: Firm,
    actor: User,
    client: ClientOrganisation,
    version: InstrumentVersion,
    open_link: bool = False,
    **fields,
) -> Campaign:
    if client.is_archived:
        raise ValidationError({"client": _("This client is archived.")})
    campaign = Campaign(
        firm=firm,
        client=client,
        version=version,
        created_by=actor,
        **{k: fields[k] for k in CAMPAIGN_FIELDS if k in fields},
    )
    if open_link:
        campaign.open_link_token = secrets.token_urlsafe(24)
    _validate_campaign(campaign)
    campaign.save()
    audit(
        firm=firm,
        actor=actor,
        action="campaign.created",
        target=campaign,
        client_id=client.pk,
        version=version.pk,
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    firm: Firm,
    actor: User,
    campaign: Campaign,
    open_link: bool,
    version: InstrumentVersion | None = None,
    **fields,
) -> Campaign:
    if campaign.status in (CampaignStatus.CLOSED, CampaignStatus.REPORTED):
        raise ValidationError(_("A closed campaign cannot be changed."))
    if version is not None and version.pk != campaign.version_id:
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError({"version": _("The instrument can be changed only in a draft.")})
        campaign.version = version
    for key in CAMPAIGN_FIELDS:
        if key in fields:
            setattr(campaign, key, fields[key])
    if open_link and not campaign.open_link_token:
        campaign.open_link_token = secrets.token_urlsafe(24)
    elif not open_link:
        campaign.open_link_token = ""
    _validate_campaign(campaign)
    campaign.save()
    audit(firm=firm, actor=actor, action="campaign.updated", target=campaign)
    return campaign


@transaction.atomic
def campaign_launch(*, firm: Firm, actor: User | None, campaign: Campaign) -> Campaign:
    """Open the campaign now (or schedule it when `opens_at` is in the future) and send the
    invitations to everyone not yet invited."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise ValidationError(_("Only a draft or scheduled campaign can be opened."))
    if campaign.closes_at <= timezone.now():
        raise ValidationError(_("The close date has passed. Move it before opening the campaign."))
    if campaign.opens_at and campaign.opens_at > timezone.now():
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status"])
        audit(firm=firm, actor=actor, action="campaign.scheduled", target=campaign)
        return campaign
    campaign.status = CampaignStatus.OPEN
    campaign.opened_at = timezone.now()
    campaign.save(update_fields=["status", "opened_at"])
    audit(firm=firm, actor=actor, action="campaign.opened", target=campaign)
    _enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.INVITATION)
    return campaign


@transaction.atomic
def campaign_close(*, firm: Firm, actor: User | None, campaign: Campaign) -> Campaign:
    updated = Campaign.objects.filter(
        pk=campaign.pk,
        status__in=[CampaignStatus.OPEN, CampaignStatus.SCHEDULED, CampaignStatus.DRAFT],
    ).update(status=CampaignStatus.CLOSED, closed_at=timezone.now())
    if not updated:
        raise ValidationError(_("This campaign is already closed."))
    campaign.refresh_from_db()
    audit(firm=firm, actor=actor, action="campaign.closed", target=campaign)
    campaign_closed.send(sender=Campaign, firm=firm, campaign=campaign)
    return campaign


def _enqueue_campaign_emails(*, firm: Firm, campaign: Campaign, kind: str) -> None:
    from .tasks import send_campaign_emails

    enqueue(send_campaign_emails, firm_id=firm.pk, campaign_id=campaign.pk, kind=kind)


@transaction.atomic
def reminders_send_now(*, firm: Firm, actor: User, campaign: Campaign) -> int:
    """Remind everyone invited who has not finished, now (counts towards the maximum)."""
    if not campaign.is_open:
        raise ValidationError(_("Reminders go out only while the campaign is open."))
    pending = reminder_candidates(campaign=campaign, due_only=False).count()
    if not pending:
        raise ValidationError(_("Nobody is waiting for a reminder."))
    audit(firm=firm, actor=actor, action="campaign.reminded", target=campaign, respondents=pending)
    _enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.REMINDER)
    return pending


def reminder_candidates(*, campaign: Campaign, due_only: bool = True):
    qs = Respondent.objects.filter(
        campaign=campaign,
        source=Source.INVITED,
        sent_at__isnull=False,
        completed_at__isnull=True,
        bounced_at__isnull=True,
        unsubscribed_at__isnull=True,
        reminders_sent__lt=campaign.max_reminders,
    )
    if due_only:
        # Reminder k is due k intervals after the invitation.
        interval = Value(
            timedelta(days=campaign.reminder_interval_days), output_field=DurationField()
        )
        due_at = ExpressionWrapper(
            F("sent_at") + interval * (F("reminders_sent") + 1), output_field=DateTimeField()
        )
        qs = qs.annotate(due_at=due_at).filter(due_at__lte=timezone.now())
    return qs


@transaction.atomic
def respondent_resend(*, firm: Firm, actor: User, respondent: Respondent) -> None:
    if respondent.completed_at is not None:
        raise ValidationError(_("This person has already answered."))
    if not respondent.campaign.is_open:
        raise ValidationError(_("Invitations go out only while the campaign is open."))
    sequence = respondent.emails.filter(kind=EmailKind.INVITATION).count()
    Respondent.objects.filter(pk=respondent.pk).update(bounced_at=None)
    audit(firm=firm, actor=actor, action="respondent.invitation_resent", target=respondent)
    from .tasks import send_respondent_email

    enqueue(
        send_respondent_email,
        firm_id=firm.pk,
        respondent_id=respondent.pk,
        kind=EmailKind.INVITATION,
        sequence=sequence,
    )


# --- Respondents --------------------------------------------------------------------------------


def respondent_token(respondent: Respondent) -> str:
    digest = salted_hmac("pmo.respondent-link", respondent.token_salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_respondent(**fields) -> Respondent:
    respondent = Respondent(token_salt=secrets.token_hex(16), **fields)
    respondent.token_hash = hash_token(respondent_token(respondent))
    return respondent


def clean_respondent_row(row: dict, default_language: str) -> dict:
    email = (row.get("email") or "").strip().lower()
    validate_email(email)
    language = (row.get("language") or "").strip().lower() or default_language
    if language not in Language.values:
        raise ValidationError(_("language must be en or sv"))
    role = (row.get("role_level") or "").strip().lower().replace(" ", "_").replace("-", "_")
    if role and role not in RoleLevel.values:
        raise ValidationError(
            _("role level must be one of: %(choices)s") % {"choices": ", ".join(RoleLevel.values)}
        )
    name = (row.get("name") or "").strip()
    department = (row.get("department") or "").strip()
    if len(name) > 150:
        raise ValidationError(_("name is longer than 150 characters"))
    if len(department) > 100:
        raise ValidationError(_("department is longer than 100 characters"))
    return {
        "email": email,
        "name": name,
        "language": language,
        "role_level": role,
        "department": department,
    }


@transaction.atomic
def respondents_add(*, firm: Firm, actor: User, campaign: Campaign, rows: list[dict]) -> dict:
    """Add or update respondents by email (duplicates merge; the later row wins). Invitations go
    out at once to new people when the campaign is open."""
    if campaign.status in (CampaignStatus.CLOSED, CampaignStatus.REPORTED):
        raise ValidationError(_("People cannot be added to a closed campaign."))
    merged: dict[str, dict] = {}
    for row in rows:
        merged[row["email"]] = row
    existing = {
        r.email: r
        for r in Respondent.objects.select_for_update().filter(
            campaign=campaign, email__in=list(merged)
        )
    }
    created, updated = [], 0
    for email, row in merged.items():
        if email in existing:
            respondent = existing[email]
            for key in ("name", "language", "role_level", "department"):
                if row[key]:
                    setattr(respondent, key, row[key])
            respondent.save(update_fields=["name", "language", "role_level", "department"])
            updated += 1
        else:
            created.append(_new_respondent(firm=firm, campaign=campaign, **row))
    Respondent.objects.bulk_create(created)
    audit(
        firm=firm,
        actor=actor,
        action="respondents.added",
        target=campaign,
        created=len(created),
        updated=updated,
    )
    if created and campaign.is_open:
        _enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.INVITATION)
    return {"created": len(created), "updated": updated}


class CsvImportError(ValidationError):
    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__([f"{line}: {reason}" for line, reason in problems])


def parse_respondent_csv(*, content: bytes, default_language: str) -> list[dict]:
    """Every row valid, or a CsvImportError listing every bad row with its line number."""
    if len(content) > CSV_MAX_BYTES:
        raise CsvImportError([(0, _("The file is larger than 1 MB. Split it into smaller files."))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(
            [(0, _("The file is not UTF-8 text. Save it as CSV UTF-8."))]
        ) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in headers:
        raise CsvImportError([(1, _("The first line must name the columns and include “email”."))])
    reader.fieldnames = headers
    rows, problems = [], []
    try:
        _read_rows(reader, rows, problems, default_language)
    except csv.Error as exc:
        problems.append(
            (reader.line_num, _("The file could not be read as CSV (%(error)s).") % {"error": exc})
        )
    if problems:
        raise CsvImportError(problems)
    if not rows:
        raise CsvImportError([(0, _("The file has no rows to import."))])
    return rows


def _read_rows(reader, rows: list, problems: list, default_language: str) -> None:
    for row in reader:
        line = reader.line_num
        if len(rows) + len(problems) >= CSV_MAX_ROWS:
            problems.append((line, _("More than %(max)s rows.") % {"max": CSV_MAX_ROWS}))
            break
        if not any((value or "").strip() for key, value in row.items() if key):
            continue  # blank line
        if None in row:
            problems.append((line, _("This row has more columns than the header.")))
            continue
        try:
            rows.append(clean_respondent_row(row, default_language))
        except ValidationError as exc:
            problems.append((line, " ".join(exc.messages)))


def respondents_import_csv(*, firm: Firm, actor: User, campaign: Campaign, content: bytes) -> dict:
    rows = parse_respondent_csv(content=content, default_language=campaign.default_language)
    return respondents_add(firm=firm, actor=actor, campaign=campaign, rows=rows)


# --- Answering ----------------------------------------------------------------------------------


@transaction.atomic
def respondent_opened(*, respondent: Respondent) -> None:
    Respondent.objects.filter(pk=respondent.pk, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )


@transaction.atomic
def answer_save(*, firm: Firm, respondent: Respondent, item_id: int, value: int | None) -> Answer:
    """Save one answer as it is given; `None` is "don't know"."""
    campaign = respondent.campaign
    if respondent.completed_at is not None:
        raise ValidationError(_("Your answers have already been submitted."))
    if not campaign.accepts_answers:
        raise ValidationError(_("This assessment is closed."))
    if value is not None and not 1 <= value <= 5:
        raise ValidationError({"value": _("Choose one of the five answers or “don't know”.")})
    if not Item.objects.filter(pk=item_id, version_id=campaign.version_id).exists():
        raise ValidationError({"item": _("This question is not part of the assessment.")})
    answer, _created = Answer.objects.update_or_create(
        firm=firm, respondent=respondent, item_id=item_id, defaults={"value": value}
    )
    now = timezone.now()
    Respondent.objects.filter(pk=respondent.pk, started_at__isnull=True).update(started_at=now)
    InstrumentVersion.objects.filter(pk=campaign.version_id, frozen_at__isnull=True).update(
        frozen_at=now
    )
    return answer


def personal_result(*, respondent: Respondent) -> dict:
    version = respondent.campaign.version
    rules = [
        scoring.ItemRule(
            item_id=i.pk, dimension_key=i.dimension.key, reverse=i.reverse, weight=float(i.weight)
        )
        for i in version.items.select_related("dimension")
    ]
    answers = dict(respondent.answers.values_list("item_id", "value"))
    order = list(version.dimensions.values_list("key", flat=True))
    return scoring.score(
        rules,
        answers,
        dimension_order=order,
        bands=version.bands,
        min_answered_share=version.min_answered_share,
    )


@transaction.atomic
def respondent_submit(*, firm: Firm, respondent: Respondent, followup_opt_in: bool = False) -> dict:
    campaign = respondent.campaign
    if respondent.completed_at is not None:
        raise ValidationError(_("Your answers have already been submitted."))
    if not campaign.accepts_answers:
        raise ValidationError(_("This assessment is closed."))
    unanswered = campaign.version.items.exclude(answers__respondent=respondent).count()
    if unanswered:
        raise ValidationError(
            ngettext(
                "Please answer the last statement (“don't know” is an answer too).",
                "Please answer the remaining %(count)s statements (“don't know” is an answer too).",
                unanswered,
            )
            % {"count": unanswered}
        )
    result = personal_result(respondent=respondent)
    claimed = Respondent.objects.filter(pk=respondent.pk, completed_at__isnull=True).update(
        completed_at=timezone.now(), result=result, followup_opt_in=followup_opt_in
    )
    if not claimed:
        raise ValidationError(_("Your answers have already been submitted."))
    respondent.refresh_from_db()
    if respondent.email:
        _enqueue_result_email(firm=firm, respondent=respondent)
    response_completed.send(sender=Campaign, firm=firm, campaign=campaign)
    return result


def _enqueue_result_email(*, firm: Firm, respondent: Respondent) -> None:
    from .tasks import send_respondent_email

    enqueue(
        send_respondent_email,
        firm_id=firm.pk,
        respondent_id=respondent.pk,
        kind=EmailKind.RESULT,
        sequence=0,
    )


@transaction.atomic
def open_link_start(*, firm: Firm, campaign: Campaign, language: str) -> tuple[Respondent, str]:
    if not campaign.open_link_token or not campaign.accepts_answers:
        raise ValidationError(_("This assessment is closed."))
    respondent = _new_respondent(
        firm=firm,
        campaign=campaign,
        language=language,
        source=Source.OPEN_LINK,
        opened_at=timezone.now(),
    )
    respondent.save()
    return respondent, respondent_token(respondent)


@transaction.atomic
def lead_capture(
    *,
    firm: Firm,
    respondent: Respondent,
    email: str,
    name: str,
    consent: bool,
    followup_opt_in: bool,
) -> None:
    """An open-link test-taker leaves an email (with consent) to get the results and tips."""
    if respondent.source != Source.OPEN_LINK or respondent.completed_at is None:
        raise ValidationError(_("Finish the assessment first."))
    if respondent.email:
        raise ValidationError(_("Your results have already been sent."))
    if not consent:
        raise ValidationError({"consent": _("We need your consent to email you the results.")})
    email = email.strip().lower()
    validate_email(email)
    if Respondent.objects.filter(campaign=respondent.campaign, email=email).exists():
        # The same person took the open test before: keep the earlier answers' row unique.
        raise ValidationError(
            {"email": _("This address has already received results for this test.")}
        )
    try:
        with transaction.atomic():
            claimed = Respondent.objects.filter(pk=respondent.pk, email="").update(
                email=email,
                name=name.strip()[:150],
                consent_at=timezone.now(),
                followup_opt_in=followup_opt_in,
            )
    except IntegrityError:
        raise ValidationError(
            {"email": _("This address has already received results for this test.")}
        ) from None
    if not claimed:  # a second submission of the same form
        raise ValidationError(_("Your results have already been sent."))
    respondent.refresh_from_db()
    audit(
        firm=firm,
        actor=None,
        action="lead.captured",
        target=respondent,
        campaign_id=respondent.campaign_id,
    )
    _enqueue_result_email(firm=firm, respondent=respondent)


@transaction.atomic
def respondent_set_language(*, respondent: Respondent, language: str) -> None:
    if language not in Language.values:
        raise ValidationError({"language": _("Choose English or Swedish.")})
    Respondent.objects.filter(pk=respondent.pk).update(language=language)
    respondent.language = language


@transaction.atomic
def respondent_unsubscribe(*, respondent: Respondent) -> None:
    Respondent.objects.filter(pk=respondent.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now(), followup_opt_in=False
    )


# --- Email --------------------------------------------------------------------------------------


def survey_url(respondent: Respondent, name: str = "assessments:survey") -> str:
    return absolute_url(
        reverse(
            name, kwargs={"firm_slug": respondent.firm.slug, "token": respondent_token(respondent)}
        )
    )


def advice_for(*, version_id: int, result: dict, language: str, limit: int = 2) -> list[dict]:
    """Development steps and tips for the weakest scored dimensions."""
    scored = [
        (v["score"], key) for key, v in result["dimensions"].items() if v["score"] is not None
    ]
    weakest = [key for _score, key in sorted(scored)[:limit]]
    dimensions = {
        d.key: d for d in Dimension.objects.filter(version_id=version_id, key__in=weakest)
    }
    advice = {
        (a.dimension.key, a.band): a
        for a in Advice.objects.filter(
            dimension__version_id=version_id, dimension__key__in=weakest
        ).select_related("dimension")
    }
    out = []
    for key in weakest:
        band = result["dimensions"][key]["band"]
        entry = advice.get((key, band))
        if entry is None:
            continue
        out.append(
            {
                "key": key,
                "name": localized(dimensions[key], "name", language),
                "score": result["dimensions"][key]["score"],
                "band": band,
                "step": localized(entry, "step", language),
                "tips": getattr(entry, f"tips_{language}") or entry.tips_en,
            }
        )
    return out


def result_view(*, respondent: Respondent, language: str) -> dict:
    """The personal result with labels in `language`, for the result page and email."""
    version = respondent.campaign.version
    result = respondent.result or {}
    rows = []
    for dimension in version.dimensions.all():
        entry = result.get("dimensions", {}).get(dimension.key, {})
        rows.append(
            {
                "key": dimension.key,
                "name": localized(dimension, "name", language),
                "description": localized(dimension, "description", language),
                "score": entry.get("score"),
                "band_label": version.band_text(entry.get("band"), "label", language),
            }
        )
    return {
        "overall": result.get("overall"),
        "band": result.get("band"),
        "band_label": version.band_text(result.get("band"), "label", language),
        "band_summary": version.band_text(result.get("band"), "summary", language),
        "dimensions": rows,
        "advice": advice_for(version_id=version.pk, result=result, language=language)
        if result.get("dimensions")
        else [],
    }


def respondent_email_send(*, firm: Firm, respondent_id: int, kind: str, sequence: int) -> bool:
    """Send one respondent email at most once (run by the worker, one transaction per email).

    The claim row is inserted in the transaction that sends: a concurrent duplicate waits on the
    unique index and then finds it taken; a failed send rolls the claim back for the retry."""
    respondent = (
        Respondent.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__client")
        .filter(pk=respondent_id)
        .first()
    )
    if respondent is None or not respondent.email or not _eligible(respondent, kind, sequence):
        return False
    if not claim_once(
        EmailLog, firm=respondent.firm, respondent=respondent, kind=kind, sequence=sequence
    ):
        return False
    message = _build_email(firm=firm, respondent=respondent, kind=kind, sequence=sequence)
    if message is None:
        # Nothing to send (for example a follow-up with no weak dimension left to write about):
        # the claim stays, so the sweep moves on instead of trying again every few minutes.
        return False
    message.send()
    now = timezone.now()
    if kind == EmailKind.INVITATION:
        Respondent.objects.filter(pk=respondent.pk).update(sent_at=now, bounced_at=None)
    elif kind == EmailKind.REMINDER:
        Respondent.objects.filter(pk=respondent.pk).update(reminders_sent=sequence)
    return True


def _eligible(respondent: Respondent, kind: str, sequence: int) -> bool:
    campaign = respondent.campaign
    if kind in (EmailKind.INVITATION, EmailKind.REMINDER):
        if respondent.completed_at or respondent.unsubscribed_at or not campaign.accepts_answers:
            return False
        if kind == EmailKind.REMINDER:
            return (
                respondent.sent_at is not None
                and respondent.bounced_at is None
                and sequence == respondent.reminders_sent + 1
                and sequence <= campaign.max_reminders
            )
        return True
    if kind == EmailKind.RESULT:
        return respondent.completed_at is not None
    if kind == EmailKind.FOLLOWUP:
        return (
            respondent.completed_at is not None
            and respondent.followup_opt_in
            and respondent.unsubscribed_at is None
            and 1 <= sequence <= len(FOLLOWUP_DAYS)
        )
    return False


def invitation_text(*, firm: Firm, campaign: Campaign, language: str, name: str) -> tuple[str, str]:
    """The campaign's invitation subject and text in `language`, placeholders filled."""
    with translation.override(language):
        deadline = formats.date_format(timezone.localtime(campaign.closes_at), "DATE_FORMAT")
        values = {
            "name": name or _("colleague"),
            "client": campaign.client.name,
            "firm": firm.name,
            "deadline": deadline,
        }
    subject = localized(campaign, "invitation_subject", language).format_map(values)
    body = localized(campaign, "invitation_body", language).format_map(values)
    return subject, body


def _build_email(*, firm: Firm, respondent: Respondent, kind: str, sequence: int):
    campaign = respondent.campaign
    language = respondent.language or campaign.default_language
    branding = branding_for_firm(firm=firm)
    with translation.override(language):
        deadline = formats.date_format(timezone.localtime(campaign.closes_at), "DATE_FORMAT")
    link = survey_url(respondent)
    context = {
        "respondent": respondent,
        "campaign": campaign,
        "link": link,
        "deadline": deadline,
        "kind": kind,
        "sequence": sequence,
    }
    if kind in (EmailKind.INVITATION, EmailKind.REMINDER):
        subject, body = invitation_text(
            firm=firm, campaign=campaign, language=language, name=respondent.name
        )
        if kind == EmailKind.REMINDER:
            with translation.override(language):
                subject = _("Reminder: %(subject)s") % {"subject": subject}
        context["body"] = body
        template = "assessments/email/invitation"
    elif kind == EmailKind.RESULT:
        context["result"] = result_view(respondent=respondent, language=language)
        with translation.override(language):
            subject = str(gettext_lazy("Your PMO assessment result and tips from %(firm)s")) % {
                "firm": firm.name
            }
        template = "assessments/email/result"
    else:
        view = result_view(respondent=respondent, language=language)
        all_advice = advice_for(
            version_id=campaign.version_id,
            result=respondent.result or {},
            language=language,
            limit=len(FOLLOWUP_DAYS),
        )
        if len(all_advice) < sequence:
            return None
        context["tip"] = all_advice[sequence - 1]
        context["result"] = view
        context["unsubscribe_url"] = survey_url(respondent, "assessments:unsubscribe")
        with translation.override(language):
            subject = _("Tip %(n)s of %(total)s: %(dimension)s") % {
                "n": sequence,
                "total": len(FOLLOWUP_DAYS),
                "dimension": context["tip"]["name"],
            }
        template = "assessments/email/followup"
    message = build_branded_email(
        firm=firm,
        branding=branding,
        to=respondent.email,
        language=language,
        subject=subject,
        template=template,
        context=context,
    )
    message.extra_headers["X-PMO-Respondent"] = str(respondent.pk)
    # Read back by email providers' tracking webhooks (django-anymail) to mark bounces.
    message.metadata = {"firm_id": firm.pk, "respondent_id": respondent.pk, "kind": kind}
    message.tags = [f"pmo-{kind}"]
    if kind == EmailKind.FOLLOWUP:
        message.extra_headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


@transaction.atomic
def respondent_bounced(*, firm: Firm, respondent_id: int, recipient: str) -> None:
    """Mark a bounce, only when the event is about that respondent's own address."""
    if not recipient:
        return
    Respondent.objects.filter(
        pk=respondent_id, email__iexact=recipient.strip(), bounced_at__isnull=True
    ).update(bounced_at=timezone.now())


def followups_due(*, campaign: Campaign) -> list[tuple[int, int]]:
    """(respondent id, follow-up number) pairs whose time has come."""
    now = timezone.now()
    out = []
    sent = {}
    for respondent_id, sequence in EmailLog.objects.filter(
        respondent__campaign=campaign, kind=EmailKind.FOLLOWUP
    ).values_list("respondent_id", "sequence"):
        sent[respondent_id] = max(sent.get(respondent_id, 0), sequence)
    for respondent in (
        Respondent.objects.filter(
            campaign=campaign,
            completed_at__isnull=False,
            followup_opt_in=True,
            unsubscribed_at__isnull=True,
        )
        .exclude(email="")
        .only("id", "completed_at")
    ):
        nxt = sent.get(respondent.pk, 0) + 1
        if (
            nxt <= len(FOLLOWUP_DAYS)
            and respondent.completed_at + timedelta(days=FOLLOWUP_DAYS[nxt - 1]) <= now
        ):
            out.append((respondent.pk, nxt))
    return out


def default_invitation_texts() -> dict:
    texts = {}
    for language in ("en", "sv"):
        with translation.override(language):
            texts[f"invitation_subject_{language}"] = _("Four minutes on how {client} runs its PMO")
            texts[f"invitation_body_{language}"] = _(
                "Hello {name},\n\n{firm} is helping {client} understand how its PMO works today: "
                "as a control function, or as an engine for development. Your view matters. "
                "The assessment takes about four minutes and your answers are anonymous to "
                "{client}.\n\nPlease answer by {deadline}."
            )
    return texts
