"""What the assessments API views share: texts in both languages, the 409 for a service refusing
because of an object's state, ids named in a body, and the path parameters."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from pmo_platform.access import id_or_none
from pmo_platform.api.errors import state_conflicts as generic_state_conflicts

from ..error_codes import AssessmentsErrorCode as Code

# Refusals that depend on the object's state, not on the request's content: a 409 problem with
# the service's code (the same request may succeed once the state changes, or never will).
STATE_CODES = frozenset(
    {
        Code.CAMPAIGN_CLOSED,
        Code.CAMPAIGN_NOT_DRAFT,
        Code.CAMPAIGN_NOT_LAUNCHABLE,
        Code.CLOSE_DATE_PASSED,
        Code.CAMPAIGN_ALREADY_CLOSED,
        Code.CAMPAIGN_NOT_OPEN,
        Code.NOBODY_TO_REMIND,
        Code.RESPONDENT_COMPLETED,
    }
)


def state_conflicts():
    """The assessments services' state refusals as 409 problems (pmo_platform.api.errors)."""
    return generic_state_conflicts(STATE_CODES)


def referenced(field: str, value, access_helper, access):
    """The object a body names by id (`client`, `version`), through its access helper: one that
    is missing or another firm's is the same 400 field error, `does_not_exist`."""
    try:
        return access_helper(access, value)
    except Http404:
        raise serializers.ValidationError(
            {field: [serializers.ErrorDetail(_("No such object."), code="does_not_exist")]}
        ) from None


def id_filter(request, name: str) -> int | None:
    """A `?<name>=<id>` filter: None when absent, a 400 field error when not a valid id."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    pk = id_or_none(raw)
    if pk is None:
        raise serializers.ValidationError(
            {name: [serializers.ErrorDetail(_("Give a positive whole number."), code="invalid")]}
        )
    return pk


def choice_filter(request, name: str, choices) -> str | None:
    """A `?<name>=<choice>` filter: None when absent, a 400 field error when not a choice."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise serializers.ValidationError(
            {
                name: [
                    serializers.ErrorDetail(
                        _("Use one of: %(choices)s.") % {"choices": ", ".join(choices)},
                        code="invalid_choice",
                    )
                ]
            }
        )
    return raw


def path_id(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.INT64, OpenApiParameter.PATH, description=description
    )


CAMPAIGN_ID = path_id("campaign_id", "The campaign's id.")
RESPONDENT_ID = path_id("respondent_id", "The respondent's id (one invited to this campaign).")
VERSION_ID = path_id("version_id", "The instrument version's id.")


class TranslatedSerializer(serializers.Serializer):
    en = serializers.CharField()
    sv = serializers.CharField()


@extend_schema_field(TranslatedSerializer)
class TranslatedField(serializers.Field):
    """`{"en": ..., "sv": ...}` from the model's `<name>_en` and `<name>_sv` columns."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(source="*", **kwargs)

    def to_representation(self, obj):
        return {
            language: getattr(obj, f"{self.field_name}_{language}", "") or ""
            for language in ("en", "sv")
        }


@extend_schema_field(TranslatedSerializer)
class TextsField(serializers.Field):
    """`{"en": ..., "sv": ...}` from a JSON value keyed by language (missing ones are "")."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        value = value if isinstance(value, dict) else {}
        return {language: str(value.get(language) or "") for language in ("en", "sv")}
