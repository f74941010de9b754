"""Ids from URLs, forms and the API: one parser for every access helper. Anything that is not a
positive 64-bit integer is the same 404 as a missing object (never a database error)."""

import pytest
from django.http import Http404

from pmo_platform.access import is_id, parse_id


@pytest.mark.parametrize("value", ["12", 12])
def test_ids_are_parsed_from_urls_and_ints(value):
    assert parse_id(value) == 12


@pytest.mark.parametrize(
    "value",
    ["", "abc", "1.5", "-1", " 1", "1 ", "²", "0", 0, -3, True, None, 1.0, "9" * 30, 2**63],
)
def test_ids_that_are_not_positive_64_bit_integers_are_404(value):
    with pytest.raises(Http404):
        parse_id(value)


def test_is_id_tells_well_formed_ids():
    assert is_id("42") and is_id(7)
    assert not is_id("4²") and not is_id("") and not is_id(None)
