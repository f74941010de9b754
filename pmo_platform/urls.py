from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views, webhooks

urlpatterns = [
    path("health/", views.health, name="health"),
    # The firms' pages, the respondents' survey first: the most requested URLs are tried first
    # (no two patterns overlap, so the order changes nothing but the time to resolve).
    path("f/<slug:firm_slug>/", include("assessments.urls")),
    path("f/<slug:firm_slug>/", include("accounts.urls")),
    path("f/<slug:firm_slug>/", include("reports.urls")),
    path("", include("accounts.site_urls")),
    path("accounts/", include("allauth.urls")),
    # Delivery events (bounces) from the configured email provider only; see webhooks.py.
    path(
        "anymail/<slug:provider>/tracking/",
        webhooks.tracking_webhook,
        name="email_tracking_webhook",
    ),
    # The REST API (docs/api.md): the schema here, each app's resources in its own api/urls.py.
    path("api/v1/", include("pmo_platform.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("assessments.api.urls")),
    path("api/v1/", include("assessments.api.urls_responses")),
    path("api/v1/", include("reports.api.urls")),
    path(f"{settings.ADMIN_URL_PATH}/", admin.site.urls),
]

handler400 = "pmo_platform.views.bad_request"
handler404 = "pmo_platform.views.not_found"
handler500 = "pmo_platform.views.server_error"
