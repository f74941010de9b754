"""Instrument versions through the API: the list and one version's whole content in English and
Swedish, another firm's version a 404, the scope, constant queries."""

from __future__ import annotations

import pytest

from assessments import services
from assessments.models import InstrumentVersion
from pmo_platform.tenancy import firm_context

from .conftest import ApiClient, make_key

pytestmark = pytest.mark.django_db


def test_list_shows_the_firms_versions(api_a, firm_a):
    response = api_a.get("/api/v1/instrument-versions/")
    assert response.status_code == 200
    body = response.json()
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.select_related("instrument").get()
    assert body["next_cursor"] is None
    assert [row["id"] for row in body["results"]] == [version.pk]
    row = body["results"][0]
    assert row["number"] == version.number
    assert row["instrument"] == {
        "id": version.instrument_id,
        "key": version.instrument.key,
        "name": {"en": version.instrument.name_en, "sv": version.instrument.name_sv},
        "builtin": True,
    }
    assert row["description"]["sv"] == version.description_sv
    assert row["frozen"] is False and row["frozen_at"] is None
    assert "dimensions" not in row


def test_read_gives_every_text_in_both_languages(api_a, firm_a):
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
        dimensions = list(version.dimensions.prefetch_related("items", "advice"))
        item = version.items.order_by("order").first()
        advice = item.dimension.advice.order_by("band").first()
        n_items = version.items.count()
        n_signs = version.signs.count()
    response = api_a.get(f"/api/v1/instrument-versions/{version.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == version.pk
    assert [d["key"] for d in body["dimensions"]] == [d.key for d in dimensions]
    assert sum(len(d["items"]) for d in body["dimensions"]) == n_items == 24
    assert len(body["signs"]) == n_signs == 9
    assert body["signs"][0]["title"]["sv"]
    first = body["dimensions"][0]
    assert first["name"] == {"en": dimensions[0].name_en, "sv": dimensions[0].name_sv}
    served = next(i for d in body["dimensions"] for i in d["items"] if i["id"] == item.pk)
    assert served == {
        "id": item.pk,
        "key": item.key,
        "order": item.order,
        "sign": item.sign,
        "text": {"en": item.text_en, "sv": item.text_sv},
        "reverse": item.reverse,
        "weight": float(item.weight),
    }
    served_advice = next(a for d in body["dimensions"] for a in d["advice"] if a["id"] == advice.pk)
    assert served_advice["band"] == advice.band
    assert served_advice["step"] == {"en": advice.step_en, "sv": advice.step_sv}
    assert served_advice["tips"] == {"en": advice.tips_en, "sv": advice.tips_sv}
    assert [b["key"] for b in body["bands"]] == ["control", "transition", "engine"]
    assert body["bands"][1]["label"] == {"en": "In transition", "sv": "I förändring"}
    assert body["bands"][1]["min"] == 40
    assert len(body["scale_labels"]["en"]) == len(body["scale_labels"]["sv"]) == 5
    assert body["scale_labels"]["sv"][0] == "Instämmer inte alls"
    assert body["dont_know_label"] == {"en": "Don't know", "sv": "Vet inte"}
    assert 0 < body["min_answered_share"] <= 1


def test_another_firms_version_is_a_404_like_a_missing_one(api_a, api_b, firm_a):
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    other = api_b.get(f"/api/v1/instrument-versions/{version.pk}/")
    missing = api_b.get("/api/v1/instrument-versions/999999999/")
    malformed = api_b.get("/api/v1/instrument-versions/abc/")
    for response in (other, missing, malformed):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    assert other.content == missing.content


def test_versions_need_campaigns_read(firm_a):
    _key, secret = make_key(firm_a, scopes=["clients:read", "campaigns:write"])
    response = ApiClient(secret).get("/api/v1/instrument-versions/")
    assert response.status_code == 403
    assert response.json()["code"] == "missing_scope"
    assert response.json()["missing_scope"] == "campaigns:read"
    _key, secret = make_key(firm_a, scopes=["campaigns:read"], name="reader")
    assert ApiClient(secret).get("/api/v1/instrument-versions/").status_code == 200


def _copies(world, n):
    with firm_context(world.firm):
        version = InstrumentVersion.objects.order_by("pk").first()
        for _ in range(n):
            services.instrument_copy(firm=world.firm, actor=world.owner, version=version)


def test_the_list_takes_the_same_queries_for_3_and_30_versions(
    api_a, firm_a, django_assert_max_num_queries
):
    _copies(firm_a, 2)
    api_a.get("/api/v1/instrument-versions/")  # the key's last use is recorded once a minute
    with django_assert_max_num_queries(15) as small:
        body = api_a.get("/api/v1/instrument-versions/?limit=100").json()
    assert len(body["results"]) == 3
    _copies(firm_a, 27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = api_a.get("/api/v1/instrument-versions/?limit=100").json()
    assert len(body["results"]) == 30


def test_reading_a_version_takes_a_fixed_number_of_queries(
    api_a, firm_a, django_assert_max_num_queries
):
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    with django_assert_max_num_queries(16):
        assert api_a.get(f"/api/v1/instrument-versions/{version.pk}/").status_code == 200
