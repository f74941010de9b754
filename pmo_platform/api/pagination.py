"""Keyset ("cursor") pagination: opaque cursors, stable under inserts, O(1) queries per page.

A list view names its order in `cursor_ordering`, fields ending in a unique one (by default
`("id",)`; a leading `-` for descending). The cursor is the last row's values of those fields,
so the next page starts strictly after it whatever was inserted in between: a client that pages
to the end sees every row that existed when it started exactly once, and rows added later either
on a later page or not at all, never twice. The responses and leads feeds build on this with a
commit-ordered key (assessments/api/feed.py)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.db.models import F, Field, Func, Lookup, Q, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

MAX_LIMIT = 200


def _invalid():
    return ValidationError({"cursor": [_("The cursor is not valid.")]}, code="invalid_cursor")


def encode_cursor(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, fields: list, model) -> list:
    if len(cursor) > 400:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(values, list) or len(values) != len(fields):
        raise _invalid()
    decoded = []
    for name, value in zip(fields, values, strict=True):
        field = model._meta.get_field(name.lstrip("-"))
        if field.get_internal_type() == "DateTimeField":
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is None:
                raise _invalid()
            decoded.append(moment)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
            decoded.append(value)
        else:
            raise _invalid()
    return decoded


def _row(*expressions) -> Func:
    return Func(*expressions, function="", output_field=Field())  # SQL `(a, b, ...)`


def _after(fields: list, values: list) -> Q | Lookup:
    """Rows strictly after `values` in the order of `fields`.

    When every field sorts the same way this is one row-value comparison, `(a, b) > (x, y)`,
    which PostgreSQL turns into an index range over an index on those columns: a page deep in
    the list costs what the first one does. (The equivalent `a > x OR (a = x AND b > y)` is
    not an index condition: PostgreSQL would scan every row before the cursor, and the time per
    page would grow with the position.) Mixed directions fall back to that OR form."""
    names = [name.lstrip("-") for name in fields]
    descending = {name.startswith("-") for name in fields}
    if len(fields) > 1 and len(descending) == 1:
        lookup = LessThan if descending == {True} else GreaterThan
        return lookup(_row(*(F(n) for n in names)), _row(*(Value(v) for v in values)))
    condition = Q()
    for index, field in enumerate(fields):
        equal = {names[i]: values[i] for i in range(index)}
        op = "lt" if field.startswith("-") else "gt"
        condition |= Q(**equal, **{f"{names[index]}__{op}": values[index]})
    return condition


class KeysetPagination(BasePagination):
    default_limit = 50

    def paginate_queryset(self, queryset, request, view=None):
        fields = list(getattr(view, "cursor_ordering", ("id",)))
        self.fields = fields
        self.limit = self._limit(request)
        cursor = request.query_params.get("cursor")
        if cursor:
            queryset = queryset.filter(_after(fields, _decode(cursor, fields, queryset.model)))
        rows = list(queryset.order_by(*fields)[: self.limit + 1])
        self.has_more = len(rows) > self.limit
        rows = rows[: self.limit]
        self.next_cursor = (
            encode_cursor([getattr(rows[-1], name.lstrip("-")) for name in fields])
            if self.has_more
            else None
        )
        return rows

    def _limit(self, request) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return self.default_limit
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValidationError(
                {"limit": [_("Give a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT}]},
                code="invalid_limit",
            )
        return int(raw)

    def get_paginated_response(self, data):
        return Response({"results": data, "next_cursor": self.next_cursor})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next_cursor"],
            "properties": {
                "results": schema,
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last page.",
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "The `next_cursor` of the previous page.",
                "schema": {"type": "string", "maxLength": 400},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Rows per page, 1 to {MAX_LIMIT} (default 50).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
