from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

from . import views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("language/", account_views.set_language, name="set_language"),
    path("health/", views.health, name="health"),
    path("me/", account_views.account_settings, name="account_settings"),
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
