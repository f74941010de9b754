"""The accounts part of the API permission table (tests/api/test_api_permissions.py).

ROUTES: url name -> {"ids": url kwargs it needs, "methods": {method: scope it needs}}.
`ids(world)` creates one object of each kind the routes need in that firm and returns their ids."""

ROUTES = {
    "api_clients": {"ids": [], "methods": {"get": "clients:read", "post": "clients:write"}},
    "api_client": {
        "ids": ["client_id"],
        "methods": {"get": "clients:read", "patch": "clients:write"},
    },
    "api_client_archive": {"ids": ["client_id"], "methods": {"post": "clients:write"}},
    "api_client_restore": {"ids": ["client_id"], "methods": {"post": "clients:write"}},
}


def ids(world) -> dict:
    return {"client_id": world.client.pk}
