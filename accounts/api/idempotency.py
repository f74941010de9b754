"""`Idempotency-Key` for writes (Stripe's design): the first response to a key is stored in the
request's own transaction and replayed for every repeat with the same key and the same request;
the same key with a different request is a 422. Keys are per API key and kept for a day."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from pmo_platform.api.errors import problem_response

from ..models import ApiKey, IdempotencyRecord

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def _request_hash(request, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path()):
        digest.update(part.encode("utf-8", "replace") + b"\n")
    digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body), status=record.status_code, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def with_idempotency(request, key: ApiKey, get_response):
    name = request.headers.get("Idempotency-Key")
    if name is None or request.method not in WRITE_METHODS:
        return get_response(request)
    if not VALID_KEY.fullmatch(name):
        return problem_response(
            400,
            "invalid_idempotency_key",
            _("Idempotency-Key must be 1 to 255 visible ASCII characters."),
        )
    try:
        body = request.body
    except RequestDataTooBig:
        return problem_response(413, "body_too_large", _("The request body is too large."))
    fingerprint = _request_hash(request, body)
    cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    IdempotencyRecord.objects.filter(api_key=key, created_at__lt=cutoff).delete()
    # A concurrent request with the same key waits here until the first one commits.
    record, created = IdempotencyRecord.objects.get_or_create(
        api_key=key, key=name, defaults={"firm_id": key.firm_id, "request_hash": fingerprint}
    )
    if not created:
        if record.request_hash != fingerprint:
            return problem_response(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used for a different request."),
            )
        return _replay(record)
    response = get_response(request)
    if response.status_code < 500 and not response.streaming:
        record.status_code = response.status_code
        record.response_body = response.content
        record.content_type = response.get("Content-Type", "")
        record.save(update_fields=["status_code", "response_body", "content_type"])
    return response
