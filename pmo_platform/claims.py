"""Claim-by-insert: the one way a side effect (an email, a notice) is made to happen at most once.

The claim is a row whose unique constraint names the effect (for example respondent, kind and
sequence). Inserting it inside the sending transaction makes a second worker, a retry or a
redelivered task wait on the unique index and then find the effect claimed."""

from __future__ import annotations

from django.db import IntegrityError, transaction


def claim_once(model, **fields) -> bool:
    """Insert `model(**fields)` as a claim; False when the effect was claimed already."""
    try:
        with (
            transaction.atomic()
        ):  # a savepoint: a lost race leaves the caller's transaction usable
            model.objects.create(**fields)
    except IntegrityError:
        return False
    return True
