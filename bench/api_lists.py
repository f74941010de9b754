"""Benchmark: the API's responses feed at 1,000 and at 100,000 responses, and the API's
throughput for one list call against a bare DRF view on the same data.

Data (bench/api_data.py, generated once in database `pmo_bench_api`; `--fresh` regenerates):
firm "bench-api" with a non-anonymous campaign of 1,000 completed responses and one of 100,000,
firm "bench-api-small" with one campaign of 1,000 (so the cross-campaign feed is timed at both
sizes too). A fresh API key is created for each run (its secret is never printed).

In this one process run it prints:

- the time per page (`limit=100`, best of RUNS) of `GET /api/v1/campaigns/<id>/responses/` and
  `GET /api/v1/responses/`: the first page, a page in the middle and the last page (cursors from
  `encode_cursor` for the row before each page; at 1,000 they are checked against the cursors
  that paging through returns), at both sizes, the ratio 100k / 1k (flat is ~1), and the SQL
  queries per page (the same at both sizes);
- requests per second of one list call (the 100,000-response campaign's first page) through the
  real endpoint (API key, firm scope and RLS, Redis rate limit, keyset pagination, serializer)
  and through a bare DRF APIView mounted only in this process (bench-local urlconf): no
  authentication, no firm scope, on the operator role's connection (BYPASSRLS: no RLS; the owner
  role is itself subject to the forced RLS), the same keyset query written by hand (same WHERE,
  ORDER BY sync_xid, id LIMIT 100) and a plain serializer of the same fields.

Both go through Django's test Client in this process, with the same middleware stack. The rate
limit is raised (`API_RATE_LIMIT`) so it is still counted in Redis on every call but never
refuses.

Run: .venv/bin/python bench/api_lists.py     (after bin/setup; `--fresh` regenerates)
Targets: time per page flat in the number of responses (ratio ~1), same query count.
"""

import json
import sys
import time
import types

import api_data  # first: points the database settings at the bench database

RUNS, LIMIT, THROUGHPUT_CALLS = 7, 100, 300
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")  # not counted

FLOOR_SQL = """
SELECT r.id, r.campaign_id, c.client_id, c.version_id, r.source, r.completed_at, r.updated_at,
       r.erased_at, r.consent_at, r.email, r.name, r.language, r.role_level, r.department,
       r.result, r.sync_xid
FROM assessments_respondent r JOIN assessments_campaign c ON c.id = r.campaign_id
WHERE r.campaign_id = %s AND r.completed_at IS NOT NULL AND NOT c.anonymous
  AND (r.sync_xid, r.id) > (%s, %s)
ORDER BY r.sync_xid, r.id
LIMIT %s
"""


def floor_urlconf():
    """Product URLs plus the bare view, as a module for ROOT_URLCONF (this process only)."""
    from django.db import connections
    from django.urls import include, path
    from drf_spectacular.utils import extend_schema
    from rest_framework import permissions, serializers
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class FloorSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        campaign = serializers.IntegerField()
        client = serializers.IntegerField()
        instrument_version = serializers.IntegerField()
        source = serializers.CharField()
        completed_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()
        erased = serializers.BooleanField()
        respondent = serializers.DictField(allow_null=True)
        segments = serializers.DictField(allow_null=True)
        scores = serializers.DictField(allow_null=True)

    @extend_schema(exclude=True)
    class FloorView(APIView):
        authentication_classes = []
        permission_classes = [permissions.AllowAny]

        def get(self, request, campaign_id):
            after = request.query_params.get("after", "0,0").split(",")
            with connections["operator"].cursor() as cursor:
                cursor.execute(FLOOR_SQL, [campaign_id, int(after[0]), int(after[1]), LIMIT])
                rows = cursor.fetchall()
            data = [
                {
                    "id": r[0], "campaign": r[1], "client": r[2], "instrument_version": r[3],
                    "source": r[4], "completed_at": r[5], "updated_at": r[6],
                    "erased": r[7] is not None,
                    "respondent": {"email": r[9], "name": r[10], "language": r[11]},
                    "segments": {"role_level": r[12], "department": r[13]},
                    "scores": json.loads(r[14]) if r[14] else None,
                }
                for r in rows
            ]  # fmt: skip
            last = f"{rows[-1][15]},{rows[-1][0]}" if rows else None
            return Response({"results": FloorSerializer(data, many=True).data, "next": last})

    module = types.ModuleType("bench_api_urls")
    module.urlpatterns = [
        path("bench/floor/<int:campaign_id>/", FloorView.as_view()),
        path("", include("pmo_platform.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def best_of(runs, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def feed_keys(firm, campaign) -> list[tuple[int, int]]:
    """(sync_xid, id) of every served row, in feed order (to build the cursors)."""
    from assessments import selectors
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        return list(
            selectors.response_feed(firm=firm, campaign=campaign)
            .order_by(*selectors.FEED_ORDER)
            .values_list(*selectors.FEED_ORDER)
        )


def page_cursors(keys) -> dict[str, str | None]:
    from pmo_platform.api.pagination import encode_cursor

    middle = len(keys) // 2
    return {
        "first": None,
        "middle": encode_cursor(list(keys[middle - 1])),
        "last": encode_cursor(list(keys[len(keys) - LIMIT - 1])),
    }


def paged_cursors(client, url) -> list[str]:
    """The cursors paging through hands out (each page's `next_cursor`)."""
    cursors, cursor = [], None
    while True:
        body = client.get(url, {"limit": LIMIT, **({"cursor": cursor} if cursor else {})}).json()
        if not body["has_more"]:
            return cursors
        cursor = body["next_cursor"]
        cursors.append(cursor)


def time_pages(client, url, cursors) -> dict:
    """{page: (best seconds, queries, rows)} for each cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = {}
    for page, cursor in cursors.items():
        params = {"limit": LIMIT, **({"cursor": cursor} if cursor else {})}

        def get(params=params):
            response = client.get(url, params)
            assert response.status_code == 200, response.content[:300]
            return response

        get()  # warm
        with CaptureQueriesContext(connection) as captured:
            rows = len(get().json()["results"])
        statements = [q["sql"] or "" for q in captured.captured_queries]  # prepared: no SQL
        queries = sum(1 for sql in statements if not sql.startswith(CONTROL))
        out[page] = (best_of(RUNS, get), queries, rows)
    return out


def throughput(client, url, params) -> float:
    def burst():
        for _ in range(THROUGHPUT_CALLS):
            response = client.get(url, params)
            assert response.status_code == 200, response.content[:300]

    burst()  # warm
    return THROUGHPUT_CALLS / best_of(3, burst)


def main():
    api_data.prepare_database("--fresh" in sys.argv)
    import django

    django.setup()
    from django.test import Client, override_settings

    from accounts.services import api_key_create
    from pmo_platform.tenancy import firm_context

    data = api_data.generate()
    for row in api_data.analyze():
        print(f"ANALYZE (as the owner role): {row[0]}, {row[1]} rows, last_analyze {row[2]}")
        assert row[2] is not None, "ANALYZE did not analyse the table"

    clients = {}
    for slug, (firm, campaigns) in data.items():
        with firm_context(firm):
            _key, secret = api_key_create(
                firm=firm, actor=None, name=f"bench {time.time():.0f}",
                scopes=["responses:read"], expires_at=None,
            )  # fmt: skip
        clients[slug] = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", SERVER_NAME="localhost")
        for name, campaign in campaigns.items():
            served = api_data.wait_settled(firm, campaign, api_data.SIZES[name])
            assert served == api_data.SIZES[name], f"only {served} rows settled in {name}"

    big_firm, big = data["bench-api"]
    small_firm, _small = data["bench-api-small"]
    cases = [  # (label, size, client, url, firm, campaign for the keys or None)
        ("campaign feed", "1k", "bench-api", big["small"], big_firm, big["small"]),
        ("campaign feed", "100k", "bench-api", big["large"], big_firm, big["large"]),
        ("all responses", "1k", "bench-api-small", None, small_firm, None),
        ("all responses", "101k", "bench-api", None, big_firm, None),
    ]
    results = {}
    with override_settings(ROOT_URLCONF=floor_urlconf()):
        for label, size, slug, campaign, firm, keyed in cases:
            url = (
                f"/api/v1/campaigns/{campaign.pk}/responses/"
                if campaign is not None
                else "/api/v1/responses/"
            )
            keys = feed_keys(firm, keyed)
            cursors = page_cursors(keys)
            if len(keys) <= 2 * api_data.SMALL:  # cheap enough to page through
                paged = paged_cursors(clients[slug], url)
                assert paged[len(keys) // (2 * LIMIT) - 1] == cursors["middle"], "middle cursor"
                assert paged[-1] == cursors["last"], "the built last cursor is not paging's"
            results[(label, size)] = (len(keys), time_pages(clients[slug], url, cursors))

        large = big["large"]
        ours = throughput(
            clients["bench-api"], f"/api/v1/campaigns/{large.pk}/responses/", {"limit": LIMIT}
        )
        floor_client = Client(SERVER_NAME="localhost")
        floor = throughput(floor_client, f"/bench/floor/{large.pk}/", {})

    print()
    print(f"time per page, limit={LIMIT}, best of {RUNS} (Django test Client, in process)")
    print(f"{'feed':15} {'rows':>7} {'page':>7} {'ms':>8} {'queries':>8} {'rows':>5}")
    for (label, _size), (count, pages) in results.items():
        for page, (seconds, queries, rows) in pages.items():
            print(f"{label:15} {count:>7} {page:>7} {seconds * 1000:8.2f} {queries:>8} {rows:>5}")
    for label, small_size, large_size in (
        ("campaign feed", "1k", "100k"),
        ("all responses", "1k", "101k"),
    ):
        small_pages, large_pages = results[(label, small_size)][1], results[(label, large_size)][1]
        ratios = ", ".join(
            f"{page} {large_pages[page][0] / small_pages[page][0]:.2f} x" for page in small_pages
        )
        same = all(small_pages[p][1] == large_pages[p][1] for p in small_pages)
        print(f"{label}: ratio {large_size} / {small_size}: {ratios}   (flat is ~1 x)")
        print(f"{label}: queries per page the same at both sizes: {'yes' if same else 'NO'}")
    print()
    print(f"throughput of one list call (100,000-response campaign, first page, {LIMIT} rows)")
    print(f"ours  (API key, firm scope + RLS, rate limit, keyset, serializer): {ours:8.1f} req/s")
    print(f"floor (bare DRF APIView, no auth, no RLS, hand-written keyset SQL): {floor:8.1f} req/s")
    print(f"ratio ours / floor: {ours / floor:.2f}")


if __name__ == "__main__":
    main()
