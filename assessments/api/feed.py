"""What the responses and leads feeds share: the `*_since` parameters, the campaign filter and
the refusal for anonymous campaigns (docs/api.md, "Incremental sync")."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from pmo_platform.access import parse_id
from pmo_platform.api.pagination import KeysetPagination, encode_cursor

from ..access import access_campaign
from ..error_codes import AssessmentsErrorCode as Code
from ..models import Campaign

SYNC_DESCRIPTION = (
    "Incremental sync: rows come in change order, not time order. Keep `next_cursor` and ask "
    "again with it (and the same filters) to get what changed since: every change is served "
    "exactly once, however commits interleave, because a row is served only once every "
    "transaction older than its change has finished (usually well under a second). A row "
    "appears again, later in the feed, when it changes again (for example its identity is "
    "erased: the identity fields become null). Unlike other lists, `next_cursor` is given on "
    "the last page too: it points after the last row served (or is the cursor you sent, when "
    "nothing new has settled yet). Keep it for the next sync; `has_more` says whether more rows "
    "are waiting now. `*_since` filters compare timestamps and suit a first load; they are not "
    "a substitute for the cursor."
)


class FeedPagination(KeysetPagination):
    """Keyset pages whose cursor survives the last page: a sync resumes where it stopped."""

    def paginate_queryset(self, queryset, request, view=None):
        rows = super().paginate_queryset(queryset, request, view)
        if rows:
            self.next_cursor = encode_cursor([getattr(rows[-1], name) for name in self.fields])
        else:
            self.next_cursor = request.query_params.get("cursor") or None
        return rows

    def get_paginated_response(self, data):
        return Response(
            {"results": data, "next_cursor": self.next_cursor, "has_more": self.has_more}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next_cursor", "has_more"],
            "properties": {
                "results": schema,
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` to continue, now or at the next sync; "
                    "null only when nothing was ever served.",
                },
                "has_more": {
                    "type": "boolean",
                    "description": "Whether more rows are waiting now.",
                },
            },
        }


def feed_description(docstring: str | None) -> str:
    """A feed view's description in the schema: its docstring, then how to sync."""
    return inspect.cleandoc(docstring or "") + "\n\n" + SYNC_DESCRIPTION


def since_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.DATETIME,
        description=description + " ISO 8601 date and time with a time zone.",
    )


UPDATED_SINCE = since_parameter("updated_since", "Only rows changed at or after this moment.")


def since(request, name: str) -> datetime | None:
    """The `name` query parameter as an aware datetime, None when absent; a 400 when it is not
    an ISO 8601 date and time with a time zone."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        moment = parse_datetime(raw.strip()) if len(raw) <= 64 else None
        if moment is not None and moment.tzinfo is not None:
            moment.astimezone(UTC)  # in range once in UTC
            return moment
    except (ValueError, OverflowError):
        pass
    raise serializers.ValidationError(
        {name: [_("Give an ISO 8601 date and time with a time zone, such as 2026-01-31T12:00Z.")]},
        code=Code.INVALID_DATETIME,
    )


class CampaignAnonymous(exceptions.PermissionDenied):
    """A 403: an anonymous campaign's responses never leave the platform one by one."""

    default_code = Code.CAMPAIGN_ANONYMOUS

    def __init__(self, campaign: Campaign):
        super().__init__(
            _(
                "Campaign %(id)s is anonymous: respondents were promised that their answers are "
                "seen only in groups, so its individual responses never leave the platform. Read "
                "its statistics or its reports instead."
            )
            % {"id": campaign.pk}
        )
        self.problem_extra = {"campaign": campaign.pk, "anonymous": True}


def non_anonymous_campaign(access, campaign_id) -> Campaign:
    """The firm's campaign (404 for a missing or another firm's one), refused with
    `campaign_anonymous` when it is anonymous."""
    campaign = access_campaign(access, campaign_id)
    if campaign.anonymous:
        raise CampaignAnonymous(campaign)
    return campaign


def campaign_filter(request, access) -> Campaign | None:
    """The `?campaign=` filter: None when absent, 400 when not an id, 404 when not the firm's."""
    raw = request.query_params.get("campaign")
    if raw is None:
        return None
    try:
        parse_id(raw)
    except Http404:
        raise serializers.ValidationError(
            {"campaign": [_("Give a campaign id.")]}, code=Code.INVALID_ID
        ) from None
    return non_anonymous_campaign(access, raw)
