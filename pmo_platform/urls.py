from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("", include("accounts.site_urls")),
    path("accounts/", include("allauth.urls")),
    # Delivery events from the email provider (bounces); see docs/operations.md.
    path("anymail/", include("anymail.urls")),
    path("f/<slug:firm_slug>/", include("accounts.urls")),
    path("f/<slug:firm_slug>/", include("assessments.urls")),
    path("f/<slug:firm_slug>/", include("reports.urls")),
    path(f"{settings.ADMIN_URL_PATH}/", admin.site.urls),
]

handler404 = "pmo_platform.views.not_found"
handler500 = "pmo_platform.views.server_error"
