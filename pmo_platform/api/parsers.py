"""JSON bodies for the API, read with the same limits as the pages' JSON (pmo_platform.jsonbody):
a size cap checked before reading, no NaN or Infinity, no overflowing numbers, bounded nesting."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ..error_codes import PlatformErrorCode as Code
from ..jsonbody import BadJson, loads_strict

API_JSON_MAX_DEPTH = 12


class BodyTooLarge(ParseError):
    status_code = 413
    default_code = Code.BODY_TOO_LARGE


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise BodyTooLarge(f"The body is larger than {limit} bytes.")
        if not body.strip():
            return {}
        try:
            return loads_strict(body, max_depth=API_JSON_MAX_DEPTH)
        except BadJson as exc:
            raise ParseError("The body is not valid JSON.", code=exc.code) from None
