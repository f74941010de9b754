"""Scopes: a view names the scope reads need (`read_scope`) and the scope writes need
(`write_scope`), or answers `required_scope(request)` itself. A missing scope is a 403 that
names it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission


class MissingScope(exceptions.PermissionDenied):
    default_code = "missing_scope"

    def __init__(self, scope: str):
        super().__init__(_("This API key lacks the scope %(scope)s.") % {"scope": scope})
        self.problem_extra = {"missing_scope": scope}


def required_scope(view, request) -> str | None:
    custom = getattr(view, "required_scope", None)
    if callable(custom):
        return custom(request)
    return getattr(view, "read_scope" if request.method in SAFE_METHODS else "write_scope", None)


class HasScopes(BasePermission):
    def has_permission(self, request, view):
        key = request.auth
        if key is None:
            raise exceptions.NotAuthenticated()
        scope = required_scope(view, request)
        if scope is None:  # a view that forgot to name its scope is closed, not open
            raise MissingScope("(undeclared)")
        if scope not in key.scopes:
            raise MissingScope(scope)
        return True
