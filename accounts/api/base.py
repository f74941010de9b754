"""The base of every API view: the firm and the key come from the middleware; views parse,
call an access helper, a selector or a service, and serialize."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView

from pmo_platform.api.schema import documented_query_parameters

from ..selectors import FirmAccess


class FirmAPIView(GenericAPIView):
    # `self.firm`, `self.access` (a `FirmAccess` for the key) and `self.actor` (the key's
    # creator, for `created_by` fields; the audit entry also names the key). Each view's own
    # docstring is its description in the schema.

    read_scope: str | None = None
    write_scope: str | None = None
    schema_tag: str | None = None

    @property
    def firm(self):
        return self.request._request.firm

    @property
    def access(self) -> FirmAccess:
        return FirmAccess(firm=self.firm, api_key=self.request.auth)

    @property
    def actor(self):
        return self.request.auth.created_by

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the key's scopes first
        route = getattr(request.resolver_match, "route", None)
        allowed = documented_query_parameters(route, request.method) if route else None
        unknown = sorted(set(request.query_params) - allowed) if allowed is not None else []
        if unknown:  # a typo in a filter must not silently return everything (as Stripe)
            raise serializers.ValidationError(
                {name: [_("This query parameter is not known here.")] for name in unknown[:10]},
                code="unknown_parameter",
            )

    def paginated(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return self.get_paginated_response(data)


def valid_data(serializer_class, data, **kwargs) -> dict:
    """The validated body, or a 400 with every field error (DRF's codes). JSON types are
    checked strictly as well: DRF would turn `{"name": 0}` into "0" and `"true"` into True,
    which is not what the schema promises; such a value is a `wrong_type` error wherever DRF
    itself found nothing wrong."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"": ["Send a JSON object."]}, code="not_an_object")
    serializer = serializer_class(data=data, **kwargs)
    valid = serializer.is_valid()
    errors = _merge(dict(serializer.errors) if not valid else {}, wrong_types(serializer, data))
    if errors:
        raise serializers.ValidationError(errors)
    return dict(serializer.validated_data)


def _merge(found, extra):
    """DRF's errors, plus the type errors at paths where DRF reported nothing."""
    if isinstance(found, list) and found and not isinstance(found[0], dict | list):
        return found  # DRF's own errors for this field win
    if isinstance(found, list):  # a ListSerializer's errors: one entry per item
        found = {str(i): item for i, item in enumerate(found) if item}
    if not isinstance(found, dict) or not isinstance(extra, dict):
        return found or extra
    merged = {str(key): value for key, value in found.items()}  # DRF keys list items by int
    for key, value in extra.items():
        merged[key] = _merge(merged[key], value) if key in merged else value
    return merged


_STRING_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateTimeField,
    serializers.DateField,
    serializers.UUIDField,
)
_NUMBER_FIELDS = (serializers.FloatField, serializers.DecimalField)


def _type_ok(field, value) -> bool:
    if value is None:
        return True  # allow_null decides, with its own message
    if isinstance(field, serializers.BooleanField):
        return isinstance(value, bool)
    if isinstance(field, serializers.IntegerField):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(field, _NUMBER_FIELDS):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(field, serializers.MultipleChoiceField | serializers.ListField):
        return isinstance(value, list)
    if isinstance(field, _STRING_FIELDS):
        return isinstance(value, str)
    return True


def wrong_types(serializer, data) -> dict:
    """{field: [error]} for values whose JSON type does not match the field, recursively."""
    errors = {}
    for name, field in serializer.fields.items():
        if field.read_only or field.source == "*" or name not in data:
            continue
        value = data[name]
        if isinstance(field, serializers.ListSerializer):
            if not isinstance(value, list):
                errors[name] = [_wrong_type()]
                continue
            nested = {}
            for index, item in enumerate(value):
                found = (
                    wrong_types(field.child, item)
                    if isinstance(item, dict)
                    else {"non_field_errors": [_wrong_type()]}
                )
                if found:
                    nested[str(index)] = found
            if nested:
                errors[name] = nested
        elif isinstance(field, serializers.Serializer):
            found = (
                wrong_types(field, value)
                if isinstance(value, dict)
                else {"non_field_errors": [_wrong_type()]}
            )
            if found:
                errors[name] = found
        elif isinstance(field, serializers.ListField) and isinstance(value, list):
            if not all(_type_ok(field.child, item) for item in value):
                errors[name] = [_wrong_type()]
        elif not _type_ok(field, value):
            errors[name] = [_wrong_type()]
    return errors


def _wrong_type():
    return exceptions.ErrorDetail(_("This value has the wrong JSON type."), code="wrong_type")
