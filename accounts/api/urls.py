from django.urls import path

from . import clients, webhooks

urlpatterns = [
    path("clients/", clients.ClientListView.as_view(), name="api_clients"),
    path("clients/<str:client_id>/", clients.ClientDetailView.as_view(), name="api_client"),
    path(
        "clients/<str:client_id>/archive/",
        clients.ClientArchiveView.as_view(),
        name="api_client_archive",
    ),
    path(
        "clients/<str:client_id>/restore/",
        clients.ClientRestoreView.as_view(),
        name="api_client_restore",
    ),
    path("webhooks/endpoints/", webhooks.EndpointListView.as_view(), name="api_webhook_endpoints"),
    path(
        "webhooks/endpoints/<str:endpoint_id>/",
        webhooks.EndpointDetailView.as_view(),
        name="api_webhook_endpoint",
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/rotate-secret/",
        webhooks.EndpointRotateView.as_view(),
        name="api_webhook_rotate",
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/test/",
        webhooks.EndpointTestView.as_view(),
        name="api_webhook_test",
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/deliveries/",
        webhooks.DeliveryListView.as_view(),
        name="api_webhook_deliveries",
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/deliveries/<str:delivery_id>/replay/",
        webhooks.DeliveryReplayView.as_view(),
        name="api_webhook_replay",
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/replay-failed/",
        webhooks.ReplayFailedView.as_view(),
        name="api_webhook_replay_failed",
    ),
]
