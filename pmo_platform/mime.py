"""A built email's bytes, as the standard library writes them, with less work.

`as_bytes(message)` gives exactly what Django's `message.message().as_bytes(linesep="\\r\\n")`
gives (tests/platform/test_mime.py compares them), from a generator that skips two costs of
the standard one, which together were about a fifth of a fan-out worker's time per email:

- Folding each header through `email.header.Header`: a header that is plain printable ASCII
  (single spaces between words, none at either end) and fits on one line with its name is
  written as it is, which is what the `compat32` fold gives for it. Anything else (an encoded
  word, a long value, a `Header` object, another policy) goes through the standard fold.
- Compiling a regular expression per multipart to check the random boundary is not a line of
  the body: a boundary is kept when `--boundary` appears nowhere in the parts at all, which is
  a stricter test; the boundary is drawn the same way.
"""

from __future__ import annotations

import re
from email.generator import BytesGenerator
from email.policy import compat32
from io import BytesIO

_COMPAT32 = type(compat32)
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")


class _Generator(BytesGenerator):
    def _write_headers(self, msg):
        policy = self.policy
        if type(policy) is not _COMPAT32:
            return super()._write_headers(msg)
        limit = policy.max_line_length or 0
        linesep = policy.linesep
        write = self._fp.write
        for name, value in msg.raw_items():
            if (
                isinstance(value, str)
                and limit
                and len(name) + 2 + len(value) <= limit
                and name.isascii()
                and _PLAIN.fullmatch(value)
            ):
                write(f"{name}: {value}{linesep}".encode("ascii"))
            else:
                write(policy.fold_binary(name, value))
        self.write(self._NL)
        return None

    @classmethod
    def _make_boundary(cls, text=None):
        boundary = super()._make_boundary()  # drawn as the standard generator draws it
        if text is None:
            return boundary
        candidate, counter = boundary, 0
        while _dashed(candidate, text) in text:
            candidate = f"{boundary}.{counter}"
            counter += 1
        return candidate


def _dashed(boundary: str, text):
    marker = "--" + boundary
    return marker.encode("ascii") if isinstance(text, bytes) else marker


def as_bytes(message, linesep: str = "\r\n") -> bytes:
    """`message` (a MIME message object, as `EmailMessage.message()` returns) as bytes."""
    out = BytesIO()
    _Generator(out, mangle_from_=False).flatten(message, unixfrom=False, linesep=linesep)
    return out.getvalue()
