"""The accounts pages outside any firm (included at the site root by pmo_platform/urls.py)."""

from django.urls import path

from .views import account

urlpatterns = [
    path("", account.home, name="home"),
    path("language/", account.set_language, name="set_language"),
    path("me/", account.account_settings, name="account_settings"),
]
