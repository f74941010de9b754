"""The range of dates people can give (campaign dates): anything outside is a typo (year 1,
year 20260) that would break date arithmetic and formatting on every page that shows it. The
same range is a CHECK constraint on the stored columns."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .error_codes import PlatformErrorCode as Code

EARLIEST_DATE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST_DATE = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


def date_range_error() -> ValidationError:
    return ValidationError(
        _("Enter a date between %(earliest)s and %(latest)s."),
        code=Code.DATE_OUT_OF_RANGE,
        params={"earliest": EARLIEST_DATE.year, "latest": LATEST_DATE.year - 1},
    )


def validate_date_range(value) -> None:
    if value is not None and not EARLIEST_DATE <= value < LATEST_DATE:
        raise date_range_error()
