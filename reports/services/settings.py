"""The firm's report settings: how reports protect respondents, and benchmark contribution."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Firm, User
from accounts.services import audit

from .. import selectors
from ..error_codes import ReportsErrorCode
from ..models import BenchmarkPoint, ReportSettings
from .benchmarks import org_key

# The range of the minimum group size (the form's bounds come from here; the database refuses
# less than the minimum too).
MIN_GROUP_SIZE_MIN = 3
MIN_GROUP_SIZE_MAX = 50


def _check_min_group_size(value: int) -> None:
    if value < MIN_GROUP_SIZE_MIN:
        raise ValidationError(
            {
                "min_group_size": ValidationError(
                    _("The minimum group size is at least %(min)s."),
                    code=ReportsErrorCode.MIN_GROUP_SIZE_TOO_SMALL,
                    params={"min": MIN_GROUP_SIZE_MIN},
                )
            }
        )
    if value > MIN_GROUP_SIZE_MAX:
        raise ValidationError(
            {
                "min_group_size": ValidationError(
                    _("The minimum group size is at most %(max)s."),
                    code=ReportsErrorCode.MIN_GROUP_SIZE_TOO_LARGE,
                    params={"max": MIN_GROUP_SIZE_MAX},
                )
            }
        )


@transaction.atomic
def report_settings_update(
    *, firm: Firm, actor: User, min_group_size: int, contribute_to_benchmarks: bool
) -> ReportSettings:
    """Change how reports protect respondents; leaving the benchmark removes the firm's points."""
    _check_min_group_size(min_group_size)
    current, _created = ReportSettings.objects.select_for_update().get_or_create(firm=firm)
    current.min_group_size = min_group_size
    current.contribute_to_benchmarks = contribute_to_benchmarks
    current.save()
    if not contribute_to_benchmarks:
        keys = [org_key(firm_id=firm.pk, client_id=pk) for pk in selectors.client_ids(firm=firm)]
        BenchmarkPoint.objects.filter(org_key__in=keys).delete()
    audit(
        firm=firm,
        actor=actor,
        action="report_settings.updated",
        target=current,
        min_group_size=min_group_size,
        contribute_to_benchmarks=contribute_to_benchmarks,
    )
    return current
