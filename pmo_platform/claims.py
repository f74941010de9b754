"""Claim-by-insert: the one way a side effect (an email, a notice) is made to happen at most once.

The claim is a row whose unique constraint names the effect (for example respondent, kind and
sequence). Inserting it inside the sending transaction makes a second worker, a retry or a
redelivered task wait on the unique index and then find the effect claimed."""

from __future__ import annotations

from django.db import IntegrityError, transaction


def claim_once(model, **fields):
    """Insert `model(**fields)` as a claim and return the row; None when the effect was claimed
    already."""
    try:
        # A savepoint: a lost race leaves the caller's transaction usable.
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        return None
