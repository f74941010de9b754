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
    "api_webhook_endpoints": {
        "ids": [],
        "methods": {"get": "webhooks:manage", "post": "webhooks:manage"},
    },
    "api_webhook_endpoint": {
        "ids": ["endpoint_id"],
        "methods": {
            "get": "webhooks:manage",
            "patch": "webhooks:manage",
            "delete": "webhooks:manage",
        },
    },
    "api_webhook_rotate": {"ids": ["endpoint_id"], "methods": {"post": "webhooks:manage"}},
    "api_webhook_test": {"ids": ["endpoint_id"], "methods": {"post": "webhooks:manage"}},
    "api_webhook_deliveries": {"ids": ["endpoint_id"], "methods": {"get": "webhooks:manage"}},
    "api_webhook_replay": {
        "ids": ["endpoint_id", "delivery_id"],
        "methods": {"post": "webhooks:manage"},
    },
    "api_webhook_replay_failed": {"ids": ["endpoint_id"], "methods": {"post": "webhooks:manage"}},
}


def ids(world) -> dict:
    from accounts import services
    from pmo_platform.tenancy import firm_context

    with firm_context(world.firm):
        endpoint = services.webhook_endpoint_create(
            firm=world.firm,
            actor=world.owner,
            url=f"https://hooks.{world.firm.slug}.example.com/",
            events=["report.ready"],
        )
        delivery = services.webhook_send_test(firm=world.firm, actor=world.owner, endpoint=endpoint)
    return {"client_id": world.client.pk, "endpoint_id": endpoint.pk, "delivery_id": delivery.pk}
