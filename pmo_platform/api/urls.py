"""The schema and its two readers, served from local assets (drf-spectacular-sidecar)."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

# Swagger UI and Redoc style their widgets with inline styles (on these two pages only); scripts,
# images and fonts stay same-origin. Redoc's "API docs by Redocly" image names a CDN: the policy
# blocks it, so nothing is fetched from elsewhere.


def _inline_styles(view, **extra):
    # No nonce in style-src here: with one, browsers ignore 'unsafe-inline'.
    directives = {"style-src": [SELF, UNSAFE_INLINE], "style-src-attr": [UNSAFE_INLINE], **extra}
    return csp_replace(directives)(view)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "docs/",
        _inline_styles(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    path(
        "redoc/",
        # Redoc's search runs in a worker it builds from its own bundle (a blob: URL).
        _inline_styles(
            SpectacularRedocView.as_view(url_name="api_schema"), **{"worker-src": [SELF, "blob:"]}
        ),
        name="api_redoc",
    ),
]
