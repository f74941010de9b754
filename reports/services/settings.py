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


@transaction.atomic
def report_settings_update(
    *, firm: Firm, actor: User, min_group_size: int, contribute_to_benchmarks: bool
) -> ReportSettings:
    """Change how reports protect respondents; leaving the benchmark removes the firm's points."""
    if min_group_size < 3:
        raise ValidationError(
            {
                "min_group_size": ValidationError(
                    _("The minimum group size is at least 3."),
                    code=ReportsErrorCode.MIN_GROUP_SIZE_TOO_SMALL,
                )
            }
        )
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
