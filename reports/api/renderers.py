"""Renderers for the report downloads: they let a client ask for `application/pdf` or
`text/csv`; an error on those routes is still a problem-details JSON body."""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer, JSONRenderer


class _DownloadRenderer(BaseRenderer):
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return JSONRenderer().render(data, renderer_context=renderer_context)


class PdfRenderer(_DownloadRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CsvRenderer(_DownloadRenderer):
    media_type = "text/csv"
    format = "csv"
