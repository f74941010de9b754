"""Writes of the instrument: installing the built-in versions, a firm's own copy, edits that fork
a new version when the edited one is frozen (it has answers)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Firm, User
from accounts.services import audit
from pmo_platform.text import text_error

from .. import selectors
from ..error_codes import AssessmentsErrorCode as Code
from ..models import Advice, Dimension, Instrument, InstrumentVersion, Item, Sign
from .instrument_rules import check_item_numbers

INSTRUMENT_DIR = Path(__file__).resolve().parent.parent / "instruments"


def builtin_instrument_files() -> list[Path]:
    return sorted(INSTRUMENT_DIR.glob("*.json"))


def _texts(spec: dict, field: str) -> dict:
    return {f"{field}_en": spec[field]["en"], f"{field}_sv": spec[field]["sv"]}


def rows_from_file(data: dict) -> dict:
    """A built-in instrument file in the shape `write_version` writes (as `selectors.version_rows`
    reads a version): dimensions in file order, statements numbered in one survey order."""
    order = itertools.count()
    return {
        **_texts(data, "description"),
        "scale_labels": data["scale"]["labels"],
        "dont_know_label": data["scale"]["dont_know"],
        "bands": data["bands"],
        "min_answered_share": data.get("min_answered_share", 0.5),
        "signs": [{"number": s["number"], **_texts(s, "title")} for s in data["signs"]],
        "dimensions": [
            {
                "key": spec["key"],
                "order": position,
                **_texts(spec, "name"),
                **_texts(spec, "description"),
                "items": [
                    {
                        "key": item["key"],
                        "order": next(order),
                        "sign": item["sign"],
                        **_texts(item, "text"),
                        "reverse": item["reverse"],
                        "weight": item.get("weight", 1),
                    }
                    for item in spec["items"]
                ],
                "advice": [
                    {"band": band, **_texts(advice, "step"), **_texts(advice, "tips")}
                    for band, advice in spec["advice"].items()
                ],
            }
            for position, spec in enumerate(data["dimensions"])
        ],
    }


def write_version(
    *, firm: Firm, instrument: Instrument, number: int, rows: dict, source: str
) -> InstrumentVersion:
    """The one path that writes a version's rows: its signs, dimensions, statements and advice."""
    fields = {k: v for k, v in rows.items() if k not in ("signs", "dimensions")}
    version = InstrumentVersion.objects.create(
        firm=firm, instrument=instrument, number=number, source=source, **fields
    )
    Sign.objects.bulk_create(Sign(firm=firm, version=version, **s) for s in rows["signs"])
    for spec in rows["dimensions"]:
        dimension = Dimension.objects.create(
            firm=firm,
            version=version,
            **{k: v for k, v in spec.items() if k not in ("items", "advice")},
        )
        Item.objects.bulk_create(
            Item(firm=firm, version=version, dimension=dimension, **item) for item in spec["items"]
        )
        Advice.objects.bulk_create(
            Advice(firm=firm, dimension=dimension, **advice) for advice in spec["advice"]
        )
    return version


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
    return write_version(
        firm=firm,
        instrument=instrument,
        number=data["version"],
        rows=rows_from_file(data),
        source=source,
    )


def install_builtin_instruments(*, firm: Firm) -> list[InstrumentVersion]:
    return [
        instrument_install(firm=firm, data=json.loads(path.read_text("utf-8")), source=path.name)
        for path in builtin_instrument_files()
    ]


def _new_version(*, instrument: Instrument, source: InstrumentVersion) -> InstrumentVersion:
    number = (instrument.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return write_version(
        firm=instrument.firm,
        instrument=instrument,
        number=number,
        rows=selectors.version_rows(version=source),
        source=f"{source.instrument.key} v{source.number}",
    )


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
            _("The built-in instrument cannot be edited. Make your own copy first."),
            code=Code.BUILTIN_INSTRUMENT_READ_ONLY,
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
    return version, selectors.counterpart(version=version, obj=obj)


def _audit_edit(*, firm: Firm, actor: User, action: str, target, version, **details) -> None:
    """The audit entry of an edit: the version it went into, and the target's key unless other
    details name it."""
    audit(
        firm=firm,
        actor=actor,
        action=f"instrument.{action}",
        target=target,
        version=version.number,
        **(details or {"key": target.key}),
    )


def _check_texts(values: dict) -> None:
    """Statements, names, descriptions, steps and tips: no control characters but line breaks
    and tabs, whoever calls."""
    for name, value in values.items():
        texts = value if isinstance(value, list) else [value]
        for t in texts:
            error = text_error(t, multiline=True) if isinstance(t, str) else None
            if error is not None:
                raise ValidationError({name: error})


def _apply_edit(*, firm: Firm, actor: User, obj, action: str, values: dict, clean=False, **details):
    """The one way an edit is made: into `obj`'s editable counterpart, saved and audited."""
    _check_texts(values)
    version, target = editable_counterpart(firm=firm, actor=actor, obj=obj)
    for name, value in values.items():
        setattr(target, name, value)
    if clean:
        target.full_clean(exclude=["firm", "version", "dimension"])
    # Only the edited columns: `obj` may be a copy read before another edit committed (a
    # statement added meanwhile moved this one's `order`), which must not be undone.
    target.save(update_fields=list(values))
    _audit_edit(firm=firm, actor=actor, action=action, target=target, version=version, **details)
    return target


@transaction.atomic
def item_update(
    *, firm: Firm, actor: User, item: Item, text_en: str, text_sv: str, reverse: bool, weight
) -> Item:
    check_item_numbers(version=item.version, weight=weight)
    values = {"text_en": text_en, "text_sv": text_sv, "reverse": reverse, "weight": weight}
    return _apply_edit(
        firm=firm, actor=actor, obj=item, action="item_updated", values=values, clean=True
    )


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
    _check_texts({"text_en": text_en, "text_sv": text_sv})
    check_item_numbers(version=dimension.version, weight=weight, sign=sign)
    version, target = editable_counterpart(firm=firm, actor=actor, obj=dimension)
    key, order = selectors.new_item_slot(version=version, dimension=target)
    # Keep the survey order: the new statement goes right after this dimension's last one.
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
    _audit_edit(firm=firm, actor=actor, action="item_added", target=item, version=version, key=key)
    return item


@transaction.atomic
def item_remove(*, firm: Firm, actor: User, item: Item) -> InstrumentVersion:
    """Remove a statement (from a new version when this one is frozen); a dimension keeps one."""
    version, target = editable_counterpart(firm=firm, actor=actor, obj=item)
    if selectors.statement_count(dimension=target.dimension) <= 1:
        raise ValidationError(
            _("A dimension needs at least one statement."), code=Code.DIMENSION_NEEDS_ITEM
        )
    _audit_edit(firm=firm, actor=actor, action="item_removed", target=target, version=version)
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
    values = {
        "name_en": name_en,
        "name_sv": name_sv,
        "description_en": description_en,
        "description_sv": description_sv,
    }
    return _apply_edit(
        firm=firm, actor=actor, obj=dimension, action="dimension_updated", values=values
    )


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
    return _apply_edit(
        firm=firm,
        actor=actor,
        obj=advice,
        action="advice_updated",
        values={"step_en": step_en, "step_sv": step_sv, "tips_en": tips_en, "tips_sv": tips_sv},
        dimension=advice.dimension.key,
        band=advice.band,
    )
