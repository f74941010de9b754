"""Client organisations: create, edit, list, archive; bad input; query counts stay flat."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AuditEntry, ClientOrganisation
from pmo_platform.tenancy import firm_context
from tests.helpers import form_error_codes

pytestmark = pytest.mark.django_db

NEW = {"name": "Globex Retail", "industry": "retail", "size_band": "5000+", "country": "DK"}


@pytest.fixture
def consultant(client, firm_a):
    client.force_login(firm_a.consultant)
    return client


def test_create_edit_archive_and_restore(consultant, firm_a):
    slug = firm_a.firm.slug
    response = consultant.post(reverse("accounts:client_create", args=[slug]), NEW)
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        created = ClientOrganisation.objects.get(name="Globex Retail")
    assert (created.industry, created.size_band, created.country.code) == ("retail", "5000+", "DK")
    assert created.created_by == firm_a.consultant

    edit = reverse("accounts:client_edit", args=[slug, created.pk])
    assert b"Globex Retail" in consultant.get(edit).content
    response = consultant.post(edit, {**NEW, "name": "Globex Nordic", "country": "SE"})
    assert response.status_code == 302

    listing = reverse("accounts:client_list", args=[slug])
    row = b">Globex Nordic</a>"
    assert row in consultant.get(listing).content
    consultant.post(reverse("accounts:client_archive", args=[slug, created.pk]), {"archive": "1"})
    assert row not in consultant.get(listing).content
    assert row in consultant.get(listing + "?archived=1").content
    consultant.post(reverse("accounts:client_archive", args=[slug, created.pk]), {"archive": "0"})
    assert row in consultant.get(listing).content

    with firm_context(firm_a.firm):
        actions = list(
            AuditEntry.objects.filter(target_id=created.pk, target_type="clientorganisation")
            .order_by("id")
            .values_list("action", flat=True)
        )
        update = AuditEntry.objects.get(action="client.updated", target_id=created.pk)
    assert actions == ["client.created", "client.updated", "client.archived", "client.unarchived"]
    assert update.data["changes"]["name"] == ["Globex Retail", "Globex Nordic"]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({**NEW, "name": "  "}, "name", "required"),
        ({**NEW, "industry": "mining-on-mars"}, "industry", "invalid_choice"),
        ({**NEW, "size_band": "huge"}, "size_band", "invalid_choice"),
        ({**NEW, "country": "XX"}, "country", "invalid_choice"),
        ({**NEW, "name": "alpha advisory client"}, "name", "client_name_taken"),
        ({**NEW, "name": "x" * 161}, "name", "max_length"),
    ],
)
def test_bad_client_input_gives_field_errors_and_writes_nothing(
    consultant, firm_a, data, field, code
):
    with firm_context(firm_a.firm):
        before = (ClientOrganisation.objects.count(), AuditEntry.objects.count())
    response = consultant.post(reverse("accounts:client_create", args=[firm_a.firm.slug]), data)
    assert response.status_code == 200
    assert code in form_error_codes(response)[field]
    with firm_context(firm_a.firm):
        assert (ClientOrganisation.objects.count(), AuditEntry.objects.count()) == before


def test_same_client_name_is_fine_in_another_firm(client, firm_a, firm_b):
    client.force_login(firm_b.owner)
    response = client.post(
        reverse("accounts:client_create", args=[firm_b.firm.slug]),
        {**NEW, "name": "Alpha Advisory Client"},
    )
    assert response.status_code == 302


def test_renaming_onto_an_existing_name_is_refused(consultant, firm_a):
    edit = reverse("accounts:client_edit", args=[firm_a.firm.slug, firm_a.other_client.pk])
    response = consultant.post(edit, {**NEW, "name": firm_a.client.name.upper()})
    assert response.status_code == 200
    assert form_error_codes(response)["name"] == {"client_name_taken"}
    with firm_context(firm_a.firm):
        assert ClientOrganisation.objects.get(pk=firm_a.other_client.pk).name.endswith(
            "Other Client"
        )


def _add_clients(world, count, start=0):
    with firm_context(world.firm):
        for n in range(start, start + count):
            services.client_create(
                firm=world.firm,
                actor=world.owner,
                name=f"Bulk {n}",
                industry="other",
                size_band="1-49",
                country="FI",
            )


@pytest.mark.parametrize("page", ["client_list", "dashboard", "team", "audit"])
def test_pages_use_a_constant_number_of_queries(
    client, firm_a, django_assert_max_num_queries, page
):
    client.force_login(firm_a.owner)
    url = reverse(f"accounts:{page}", args=[firm_a.firm.slug])
    _add_clients(firm_a, 3)
    with django_assert_max_num_queries(15) as small:
        assert client.get(url).status_code == 200
    _add_clients(firm_a, 30, start=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_client_detail_queries_do_not_grow_with_executives(
    client, firm_a, django_assert_max_num_queries
):
    from accounts.models import ClientExecutive, User

    client.force_login(firm_a.owner)
    url = reverse("accounts:client_detail", args=[firm_a.firm.slug, firm_a.client.pk])
    with django_assert_max_num_queries(16) as small:
        client.get(url)
    with firm_context(firm_a.firm):
        for n in range(10):
            user = User.objects.create_user(f"exec{n}@client.example", "x")
            ClientExecutive.objects.create(firm=firm_a.firm, client=firm_a.client, user=user)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
