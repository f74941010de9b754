"""Transaction-level advisory locks (PostgreSQL): a named queue of work that takes turns without
a row to lock, or where a row lock would deadlock with another path's lock order."""

from __future__ import annotations

import zlib

from django.db import connection


def lock_for_update(name: str, key: int) -> None:
    """Wait for, then hold until the current transaction ends, the lock (`name`, `key`). Every
    caller with the same name and key takes turns; a statement after it sees what the previous
    holder committed. Call it inside `transaction.atomic` (outside, it would be released at
    once)."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_for_update needs a transaction")
    namespace = zlib.crc32(name.encode()) & 0x7FFFFFFF
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, key & 0x7FFFFFFF])
