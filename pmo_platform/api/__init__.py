"""The REST API's shared parts (docs/api.md): one error format (RFC 9457 problem details), a
strict JSON parser, keyset cursor pagination, Redis rate limits and the OpenAPI schema. The
firm, keys and scopes belong to the accounts app (`accounts.api`); each app serves its own
resources under `/api/v1/`."""
