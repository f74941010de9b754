"""Forms of the report pages: they validate shape; the services own the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .services.settings import MIN_GROUP_SIZE_MAX, MIN_GROUP_SIZE_MIN


class ReportSettingsForm(forms.Form):
    min_group_size = forms.IntegerField(
        label=gettext_lazy("Minimum group size"),
        min_value=MIN_GROUP_SIZE_MIN,
        max_value=MIN_GROUP_SIZE_MAX,
        help_text=gettext_lazy(
            "Groups with fewer responses are never shown, in any view or export."
        ),
    )
    contribute_to_benchmarks = forms.BooleanField(
        label=gettext_lazy("Contribute anonymised scores to cross-firm benchmarks"),
        required=False,
        help_text=gettext_lazy(
            "Only industry, size and scores are shared; never names. You then see "
            "benchmarks contributed by other firms too."
        ),
    )
