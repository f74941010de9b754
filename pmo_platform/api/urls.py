"""The schema and its two readers, served from local assets (drf-spectacular-sidecar)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

# Swagger UI and Redoc style their widgets with inline styles; scripts stay same-origin only.
_inline_styles = csp_update({"style-src": [UNSAFE_INLINE], "style-src-attr": [UNSAFE_INLINE]})

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "docs/",
        _inline_styles(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    path(
        "redoc/",
        _inline_styles(SpectacularRedocView.as_view(url_name="api_schema")),
        name="api_redoc",
    ),
]
