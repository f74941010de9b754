"""The base of every API view: the firm and the key come from the middleware; views parse,
call an access helper, a selector or a service, and serialize."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.generics import GenericAPIView

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

    def paginated(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return self.get_paginated_response(data)


def valid_data(serializer_class, data, **kwargs) -> dict:
    """The validated body, or a 400 with every field error (DRF's codes)."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"": ["Send a JSON object."]}, code="not_an_object")
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
