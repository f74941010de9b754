"""Reads of the instrument: versions, dimensions, statements and advice (in the firm's scope)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Firm

from ..models import Advice, Dimension, InstrumentVersion, Item


def versions_for_campaigns(*, firm: Firm) -> QuerySet[InstrumentVersion]:
    return InstrumentVersion.objects.select_related("instrument").order_by(
        "-instrument__is_builtin", "instrument__name_en", "-number"
    )


def version_get(*, firm: Firm, pk: int) -> InstrumentVersion | None:
    return InstrumentVersion.objects.select_related("instrument").filter(pk=pk).first()


def version_detail(*, firm: Firm, version: InstrumentVersion) -> list[Dimension]:
    return list(
        version.dimensions.prefetch_related(
            Prefetch("items", queryset=Item.objects.order_by("order")),
            Prefetch("advice", queryset=Advice.objects.order_by("band")),
        )
    )


def version_content(*, firm: Firm, version: InstrumentVersion) -> dict:
    """Everything a version asks and advises: its signs, and its dimensions with their
    statements and advice (four queries, whatever the size)."""
    return {
        "signs": list(version.signs.order_by("number")),
        "dimensions": version_detail(firm=firm, version=version),
    }


def instruments_overview(*, firm: Firm) -> QuerySet[InstrumentVersion]:
    return versions_for_campaigns(firm=firm).annotate(campaign_count=Count("campaigns"))


def item_get(*, firm: Firm, pk: int) -> Item | None:
    return (
        Item.objects.select_related("version", "version__instrument", "dimension")
        .filter(pk=pk)
        .first()
    )


def dimension_get(*, firm: Firm, pk: int) -> Dimension | None:
    return Dimension.objects.select_related("version", "version__instrument").filter(pk=pk).first()


def advice_get(*, firm: Firm, pk: int) -> Advice | None:
    return (
        Advice.objects.select_related(
            "dimension", "dimension__version", "dimension__version__instrument"
        )
        .filter(pk=pk)
        .first()
    )


def counterpart(*, version: InstrumentVersion, obj):
    """The item, dimension or advice of `version` that corresponds to `obj` of another version
    of the same instrument (same key; advice by dimension key and band)."""
    if isinstance(obj, Item):
        return version.items.get(key=obj.key)
    if isinstance(obj, Dimension):
        return version.dimensions.get(key=obj.key)
    return Advice.objects.get(
        dimension__version=version, dimension__key=obj.dimension.key, band=obj.band
    )


def new_item_slot(*, version: InstrumentVersion, dimension: Dimension) -> tuple[str, int]:
    """A free key for a new statement of `dimension`, and its place in the survey order: right
    after the dimension's last statement."""
    last = dimension.items.order_by("-order").first()
    number = version.items.count() + 1
    key = f"{dimension.key}_{number}"
    while version.items.filter(key=key).exists():
        number += 1
        key = f"{dimension.key}_{number}"
    return key, (last.order + 1) if last else 0


def statement_count(*, dimension: Dimension) -> int:
    return dimension.items.count()


# The columns a copy of a version carries over (see `services.instrument.write_version`).
VERSION_FIELDS = (
    "description_en",
    "description_sv",
    "scale_labels",
    "dont_know_label",
    "bands",
    "min_answered_share",
)
SIGN_FIELDS = ("number", "title_en", "title_sv")
DIMENSION_FIELDS = ("key", "order", "name_en", "name_sv", "description_en", "description_sv")
ITEM_FIELDS = ("key", "order", "sign", "text_en", "text_sv", "reverse", "weight")
ADVICE_FIELDS = ("band", "step_en", "step_sv", "tips_en", "tips_sv")


def _fields(obj, names: tuple[str, ...]) -> dict:
    return {name: getattr(obj, name) for name in names}


def version_rows(*, version: InstrumentVersion) -> dict:
    """A version's content in the shape `services.instrument.write_version` writes (a copy)."""
    return {
        **_fields(version, VERSION_FIELDS),
        "signs": [_fields(s, SIGN_FIELDS) for s in version.signs.all()],
        "dimensions": [
            {
                **_fields(d, DIMENSION_FIELDS),
                "items": [_fields(i, ITEM_FIELDS) for i in d.items.all()],
                "advice": [_fields(a, ADVICE_FIELDS) for a in d.advice.all()],
            }
            for d in version.dimensions.prefetch_related("items", "advice")
        ],
    }
