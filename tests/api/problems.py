"""Reading the API's problem details in tests."""

from __future__ import annotations


def codes(response) -> dict[str, set[str]]:
    """The field errors of a problem response, as {field: {codes}} ("" for the whole body)."""
    assert response["Content-Type"] == "application/problem+json"
    found: dict[str, set[str]] = {}
    for error in response.json().get("errors", []):
        found.setdefault(error["field"], set()).add(error["code"])
    return found
