from django.urls import path

from . import clients

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
]
