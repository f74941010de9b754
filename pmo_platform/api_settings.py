"""Settings of the REST API (`/api/v1/`, docs/api.md): DRF, drf-spectacular, API limits.

Imported at the end of settings.py; every value can be set from the environment."""

import os

REST_FRAMEWORK = {
    # The key was checked, and the firm scope entered, by accounts.api.middleware; this class
    # only hands DRF what the middleware found. No session or basic authentication.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.HasScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["pmo_platform.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "pmo_platform.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "pmo_platform.api.schema.AutoSchema",
    # No OPTIONS metadata: the OpenAPI schema describes every route (an OPTIONS is a 405).
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "pmo_platform.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 50,
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNICODE_JSON": True,
    "STRICT_JSON": True,
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PMO Platform API",
    "DESCRIPTION": (
        "Clients, campaigns, respondents, responses, reports, leads and webhooks of one firm. "
        "Authenticate with `Authorization: Bearer <API key>`. See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several fields share (import paths: the platform imports no
    # app).
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "accounts.models.Language",
        "CampaignStatusEnum": "assessments.models.CampaignStatus",
        "RespondentStatusEnum": "assessments.api.respondents.STATUS_CHOICES",
        "ReportStatusEnum": "reports.models.ReportStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pmo_platform.api.schema.add_problem_component",
    ],
}

# Requests per key per window (seconds), counted in Redis so all web processes share them.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "600"))
API_RATE_WINDOW = int(os.environ.get("API_RATE_WINDOW", "60"))
# Largest JSON body the API reads (a bulk add of 1,000 respondents fits comfortably); it stays
# within DATA_UPLOAD_MAX_MEMORY_SIZE, which Django enforces whenever a body is read whole.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(512 * 1024)))
# How long a write's first response is replayed for a repeated Idempotency-Key.
API_IDEMPOTENCY_HOURS = int(os.environ.get("API_IDEMPOTENCY_HOURS", "24"))
