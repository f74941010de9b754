"""Reading a small JSON object from a request body, safely: a size limit checked before the
body is read, no NaN or Infinity, no numbers that overflow a float, no nesting deep enough to
exhaust the parser, and an object at the top. Anything else is `BadJson` with a code."""

from __future__ import annotations

import json
import math

from .error_codes import PlatformErrorCode as Code

JSON_MAX_BYTES = 4096
JSON_MAX_DEPTH = 10


class BadJson(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _refuse_constant(name):
    raise BadJson(Code.INVALID_JSON)  # NaN, Infinity, -Infinity


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400
        raise BadJson(Code.INVALID_JSON)
    return number


def _depth(raw: str) -> int:
    """The deepest nesting of arrays and objects, outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def json_object(request, *, max_bytes: int = JSON_MAX_BYTES) -> dict:
    """The request body as a JSON object (an empty body is `{}`)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise BadJson(Code.BODY_TOO_LARGE)
    body = request.body
    if len(body) > max_bytes:
        raise BadJson(Code.BODY_TOO_LARGE)
    if not body.strip():
        return {}
    payload = loads_strict(body)
    if not isinstance(payload, dict):
        raise BadJson(Code.INVALID_JSON)
    return payload


def loads_strict(body: bytes, *, max_depth: int = JSON_MAX_DEPTH):
    """Any JSON value from UTF-8 `body`, with the checks above (the size is the caller's)."""
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson(Code.INVALID_JSON) from None
    if _depth(raw) > max_depth:
        raise BadJson(Code.INVALID_JSON)
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise BadJson(Code.INVALID_JSON) from None
