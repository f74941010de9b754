"""API keys, scopes, the API's firm scope and the accounts resources (docs/api.md)."""
