"""The web entry point's one-statement firm lookup (accounts.selectors.enter_firm_by_slug): the
statement that finds the firm sets `pmo.firm_id` in the request's transaction, and
`firm_context(firm, rls_set=True)` joins that transaction. The setting is the found firm's, it
ends with the transaction, nothing is set for an unknown or inactive firm, and neither can be
used outside a transaction."""

import pytest
from django.db import connection, transaction

from accounts.models import ClientOrganisation, Firm
from accounts.selectors import enter_firm_by_slug
from pmo_platform.tenancy import firm_context

from .test_tenancy_sessions import current_settings


def firm_setting() -> str:
    return current_settings()[0]


def rls_visible_clients() -> int:
    """The clients PostgreSQL's policies let the application role see (raw SQL: wall 2 only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_clientorganisation")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_firm_found_by_slug_is_set_for_rls_in_that_transaction_only(firm_a, firm_b):
    with transaction.atomic():
        firm = enter_firm_by_slug(firm_a.firm.slug)
        assert firm == firm_a.firm and firm.name == firm_a.firm.name
        assert firm_setting() == str(firm_a.firm.pk)
        with firm_context(firm, rls_set=True):
            assert rls_visible_clients() == 2  # firm A's two clients, none of firm B's
            assert set(ClientOrganisation.objects.values_list("firm_id", flat=True)) == {
                firm_a.firm.pk
            }
            with firm_context(firm_b.firm):  # a nested scope: B inside, A again after it
                assert firm_setting() == str(firm_b.firm.pk)
            assert firm_setting() == str(firm_a.firm.pk)
            assert rls_visible_clients() == 2
    assert firm_setting() == ""  # transaction-local: gone with the request's transaction
    assert rls_visible_clients() == 0


@pytest.mark.django_db(transaction=True)
def test_an_unknown_or_inactive_firm_sets_nothing(firm_a):
    Firm.objects.filter(pk=firm_a.firm.pk).update(is_active=False)
    for slug in (firm_a.firm.slug, "no-such-firm", "", "x" * 500):
        with transaction.atomic():
            assert enter_firm_by_slug(slug) is None
            assert firm_setting() == ""
            assert rls_visible_clients() == 0


@pytest.mark.django_db(transaction=True)
def test_neither_half_works_outside_a_transaction(firm_a):
    with pytest.raises(ValueError):
        enter_firm_by_slug(firm_a.firm.slug)
    entered = firm_context(firm_a.firm, rls_set=True)
    with pytest.raises(ValueError):
        entered.__enter__()
    assert firm_setting() == ""
