"""The reports resources of the REST API (docs/api.md)."""
