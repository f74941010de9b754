"""The built-in instrument as data; firms copy, edit and version it; used versions freeze."""

import json
from collections import Counter

import pytest
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.html import escape

from assessments import services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Advice, Dimension, Instrument, InstrumentVersion, Item
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

FILE = services.INSTRUMENT_DIR / "pmo_roles_v1.json"
DIMENSIONS = [
    "pace_setter",
    "make_visible",
    "bridge_builder",
    "balance_master",
    "enabler",
    "strategic_alignment",
]


def test_built_in_instrument_file_is_complete_in_both_languages():
    data = json.loads(FILE.read_text("utf-8"))
    assert [d["key"] for d in data["dimensions"]] == DIMENSIONS
    items = [item for d in data["dimensions"] for item in d["items"]]
    assert len(items) == 24 and len({i["key"] for i in items}) == 24
    signs = Counter(item["sign"] for item in items)
    assert set(signs) == set(range(1, 10)) and min(signs.values()) >= 2
    assert [n["number"] for n in data["signs"]] == list(range(1, 10))
    for dimension in data["dimensions"]:
        assert sum(item["reverse"] for item in dimension["items"]) >= 1
        assert set(dimension["advice"]) == {"control", "transition", "engine"}
        for advice in dimension["advice"].values():
            for language in ("en", "sv"):
                assert advice["step"][language].strip()
                assert 2 <= len(advice["tips"][language]) <= 3
        for item in dimension["items"]:
            assert item["text"]["en"].strip() and item["text"]["sv"].strip()
            assert len(item["text"]["en"].split()) <= 20  # short enough for about 8 seconds
    assert [b["min"] for b in data["bands"]] == [0, 40, 70]
    assert len(data["scale"]["labels"]["en"]) == len(data["scale"]["labels"]["sv"]) == 5


@pytest.mark.django_db
def test_every_new_firm_gets_its_own_copy_of_the_built_in_instrument(firm_a, firm_b):
    for world in (firm_a, firm_b):
        with firm_context(world.firm):
            version = InstrumentVersion.objects.get()
            assert version.instrument.is_builtin and version.number == 1
            assert Item.objects.filter(version=version).count() == 24
            assert Advice.objects.filter(dimension__version=version).count() == 18
    with firm_context(firm_a.firm):
        again = services.install_builtin_instruments(firm=firm_a.firm)  # idempotent
        assert [v.pk for v in again] == [InstrumentVersion.objects.get().pk]


@pytest.mark.django_db
def test_copy_edit_freeze_and_new_version(client, firm_a):
    client.force_login(firm_a.consultant)
    slug = firm_a.firm.slug
    with firm_context(firm_a.firm):
        builtin = InstrumentVersion.objects.get()
        builtin_item = Item.objects.filter(version=builtin).first()
    # The built-in instrument itself is read-only.
    response = client.post(
        reverse("assessments:item_edit", args=[slug, builtin_item.pk]),
        {"text_en": "x", "text_sv": "y", "weight": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].has_error(NON_FIELD_ERRORS, Code.BUILTIN_INSTRUMENT_READ_ONLY)

    response = client.post(reverse("assessments:version_copy", args=[slug, builtin.pk]))
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        own = InstrumentVersion.objects.select_related("instrument").get(
            instrument__is_builtin=False
        )
        item = Item.objects.get(version=own, key=builtin_item.key)
    assert own.number == 1 and own.instrument.based_on_id == builtin.instrument_id

    edit = reverse("assessments:item_edit", args=[slug, item.pk])
    data = {
        "text_en": "Our PMO helps.",
        "text_sv": "PMO:t hjälper.",
        "reverse": "on",
        "weight": "2",
    }
    assert client.post(edit, data).status_code == 302
    with firm_context(firm_a.firm):
        item.refresh_from_db()
        assert (item.text_en, item.reverse, float(item.weight)) == ("Our PMO helps.", True, 2.0)
    bad = client.post(edit, {**data, "weight": "-1"})
    assert bad.status_code == 400

    # A campaign answers on it: the version freezes, and the next edit makes version 2.
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, version=own, name="On own", days=3)
        add_people(firm_a, campaign, [person("p@x.example")])
        campaign = services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        services.answer_save(
            firm=firm_a.firm, respondent=campaign.respondents.get(), item_id=item.pk, value=4
        )
        assert InstrumentVersion.objects.get(pk=own.pk).is_frozen
    response = client.post(edit, {**data, "text_en": "Changed after answers."})
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        versions = list(
            InstrumentVersion.objects.filter(instrument=own.instrument).order_by("number")
        )
        assert [v.number for v in versions] == [1, 2]
        assert (
            Item.objects.get(pk=item.pk).text_en == "Our PMO helps."
        )  # the used version is intact
        assert (
            Item.objects.get(version=versions[1], key=item.key).text_en == "Changed after answers."
        )
        assert campaign.version_id == own.pk
    # Dimension and advice edits go into the same new version.
    with firm_context(firm_a.firm):
        dimension = Dimension.objects.filter(version=own).first()
        advice = Advice.objects.filter(dimension=dimension).first()
    client.post(
        reverse("assessments:dimension_edit", args=[slug, dimension.pk]),
        {"name_en": "Renamed", "name_sv": "Omdöpt", "description_en": "d", "description_sv": "d"},
    )
    response = client.post(
        reverse("assessments:advice_edit", args=[slug, advice.pk]),
        {"step_en": "s", "step_sv": "s", "tips_en": "one\ntwo", "tips_sv": "ett\ntvå"},
    )
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        assert InstrumentVersion.objects.filter(instrument=own.instrument).count() == 2
        assert Dimension.objects.get(version=versions[1], key=dimension.key).name_en == "Renamed"
        assert Advice.objects.get(
            dimension__version=versions[1], dimension__key=dimension.key, band=advice.band
        ).tips_sv == ["ett", "två"]
        assert Instrument.objects.count() == 2
    response = client.post(
        reverse("assessments:advice_edit", args=[slug, advice.pk]),
        {"step_en": "s", "step_sv": "s", "tips_en": "", "tips_sv": "x"},
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("tips_en", "required")
    response = client.post(
        reverse("assessments:advice_edit", args=[slug, advice.pk]),
        {"step_en": "s", "step_sv": "s", "tips_en": "1\n2\n3\n4\n5\n6", "tips_sv": "x"},
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("tips_en", Code.TIPS_COUNT)


@pytest.mark.django_db
def test_statements_can_be_added_and_removed_in_an_own_copy(client, firm_a):
    client.force_login(firm_a.consultant)
    slug = firm_a.firm.slug
    with firm_context(firm_a.firm):
        builtin = InstrumentVersion.objects.get()
        own = services.instrument_copy(firm=firm_a.firm, actor=firm_a.owner, version=builtin)
        dimension = Dimension.objects.get(version=own, key="enabler")
        builtin_dimension = Dimension.objects.get(version=builtin, key="enabler")
    add = reverse("assessments:item_add", args=[slug, dimension.pk])
    data = {
        "text_en": "Our PMO clears blockers within a week.",
        "text_sv": "PMO:t röjer hinder inom en vecka.",
        "weight": "1",
        "sign": "4",
    }
    assert client.post(add, data).status_code == 302
    assert client.post(add, {**data, "sign": "12"}).status_code == 400
    assert (
        client.post(
            reverse("assessments:item_add", args=[slug, builtin_dimension.pk]), data
        ).status_code
        == 400
    )
    with firm_context(firm_a.firm):
        items = list(Item.objects.filter(version=own).order_by("order"))
        added = next(i for i in items if i.text_en.startswith("Our PMO clears"))
        enabler = [i for i in items if i.dimension_id == dimension.pk]
        assert len(items) == 25 and len(enabler) == 5 and enabler[-1] == added
        assert [i.order for i in items] == list(range(25))  # still one ordered survey
    remove = reverse("assessments:item_remove", args=[slug, added.pk])
    assert client.post(remove).status_code == 302
    with firm_context(firm_a.firm):
        assert Item.objects.filter(version=own).count() == 24
        for item in list(Item.objects.filter(dimension=dimension))[:-1]:
            services.item_remove(firm=firm_a.firm, actor=firm_a.owner, item=item)
        last = Item.objects.get(dimension=dimension)
        with pytest.raises(ValidationError) as exc:
            services.item_remove(firm=firm_a.firm, actor=firm_a.owner, item=last)
        assert exc.value.code == Code.DIMENSION_NEEDS_ITEM
    response = client.post(reverse("assessments:item_remove", args=[slug, last.pk]), follow=True)
    errors = [m.message for m in response.context["messages"] if m.level == messages.ERROR]
    assert errors == [" ".join(exc.value.messages)]  # the service's refusal, shown
    assert escape(errors[0]) in response.content.decode()
    with firm_context(firm_a.firm):
        assert Item.objects.filter(pk=last.pk).exists()


def test_version_page_names_the_bands_in_both_languages(client, firm_a):

    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    client.force_login(firm_a.consultant)
    page = client.get(
        reverse(
            "assessments:version_detail",
            kwargs={"firm_slug": firm_a.firm.slug, "version_id": version.pk},
        )
    ).content.decode()
    for band in version.bands:
        assert band["label"]["en"] in page and band["label"]["sv"] in page
