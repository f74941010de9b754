"""The rules of a statement's numbers, owned here for every caller (the forms show the same
range, imported from here): its weight, and the sign it tests (one of its version's signs)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..error_codes import AssessmentsErrorCode as Code
from ..models import InstrumentVersion

ITEM_WEIGHT = (Decimal("0.1"), Decimal("10"))


def check_item_numbers(*, version: InstrumentVersion, weight, sign: int | None = None) -> None:
    """A field error with a code when `weight` is out of range or `sign` (when given) is not
    one of `version`'s signs."""
    low, high = ITEM_WEIGHT
    try:
        value = Decimal(str(weight))
        in_range = value.is_finite() and low <= value <= high
    except (InvalidOperation, ValueError, TypeError):
        in_range = False
    if not in_range:
        raise ValidationError(
            {
                "weight": ValidationError(
                    _("Choose a weight from %(low)s to %(high)s."),
                    code=Code.WEIGHT_OUT_OF_RANGE,
                    params={"low": low, "high": high},
                )
            }
        )
    if sign is not None and not version.signs.filter(number=sign).exists():
        raise ValidationError(
            {
                "sign": ValidationError(
                    _("Choose one of this instrument's signs."), code=Code.UNKNOWN_SIGN
                )
            }
        )
