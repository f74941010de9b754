"""Small helpers shared by the tests."""

import re
import time


def wait_for(predicate, timeout=20.0, interval=0.05):
    """Poll until `predicate()` is truthy; the worker runs in another thread."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def link_in(message, pattern=r"https?://\S+/join/[\w-]+/"):
    found = re.search(pattern, message.body)
    assert found, message.body
    return found.group(0)


# A valid 1x1 PNG.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
