"""The assessments resources of the REST API (docs/api.md)."""
