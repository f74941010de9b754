"""Keyset pages of the responses feed: a page after a cursor is one index range (a row-value
comparison on `(sync_xid, id)`), so a page deep in a large feed costs what the first one does
(bench/api_lists.py measures it at 1,000 and 100,000 responses), and rows that share a
transaction (one `sync_xid`) are each served exactly once, in id order."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pmo_platform.tenancy import firm_context

from .response_helpers import open_campaign, submit, sync

pytestmark = pytest.mark.django_db(transaction=True)


def test_responses_of_one_transaction_are_paged_each_exactly_once(api_a, firm_a):
    campaign = open_campaign(firm_a, anonymous=False)
    with transaction.atomic():  # one transaction: every row gets the same sync_xid
        ids = [submit(firm_a, campaign, f"r{n}@x.example") for n in range(5)]
    path = reverse("api_campaign_responses", kwargs={"campaign_id": campaign.pk})
    rows, _cursor = sync(api_a, path, until=ids, limit=2)
    assert [row["id"] for row in rows] == sorted(ids)


@pytest.mark.parametrize("path", ["api_responses", "api_campaign_responses"])
def test_a_page_after_a_cursor_is_an_index_range(api_a, firm_a, path):
    campaign = open_campaign(firm_a, anonymous=False)
    ids = [submit(firm_a, campaign, f"r{n}@x.example") for n in range(3)]
    url = reverse(path, kwargs={"campaign_id": campaign.pk} if "campaign" in path else {})
    _rows, _cursor = sync(api_a, url, until=ids)
    first = api_a.get(url, {"limit": 1}).json()
    with CaptureQueriesContext(connection) as queries:
        page = api_a.get(url, {"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [row["id"] for row in page["results"]] == [sorted(ids)[1]]
    (sql,) = [q["sql"] for q in queries if 'FROM "assessments_respondent"' in q["sql"]]
    with firm_context(firm_a.firm), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the plan a large table gets
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("ROW(sync_xid, id) > ROW(" in line for line in conditions), plan
