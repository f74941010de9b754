"""Downloads sent as a stream: the response starts with the first line and holds one line at a
time, however large the file. Build the iterator (every query, access check and translation)
before calling this: an error raised while streaming can no longer become a 4xx."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse


def streamed_csv(lines: Iterator[bytes], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
