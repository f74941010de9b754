from django.urls import path

from .views import api_keys, clients, public, settings, team, webhooks

app_name = "accounts"

# Every URL here names a firm: FirmScopeMiddleware enters that firm's scope after checking access.
urlpatterns = [
    path("", clients.dashboard, name="dashboard"),
    path("clients/", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/<int:client_id>/", clients.client_detail, name="client_detail"),
    path("clients/<int:client_id>/edit/", clients.client_edit, name="client_edit"),
    path("clients/<int:client_id>/archive/", clients.client_archive, name="client_archive"),
    path(
        "clients/<int:client_id>/executives/invite/",
        clients.executive_invite,
        name="executive_invite",
    ),
    path(
        "clients/<int:client_id>/executives/<int:grant_id>/revoke/",
        clients.executive_revoke,
        name="executive_revoke",
    ),
    path("team/", team.team, name="team"),
    path("team/invite/", team.team_invite, name="team_invite"),
    path("team/<int:member_id>/role/", team.member_role, name="member_role"),
    path("team/<int:member_id>/remove/", team.member_remove, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/resend/", team.invitation_resend, name="invitation_resend"
    ),
    path(
        "invitations/<int:invitation_id>/revoke/", team.invitation_revoke, name="invitation_revoke"
    ),
    path("settings/branding/", settings.branding, name="branding"),
    path("settings/security/", settings.security, name="security"),
    path("settings/email/", settings.email_sending, name="email_sending"),
    path("settings/api-keys/", api_keys.api_keys, name="api_keys"),
    path("settings/api-keys/<str:key_id>/revoke/", api_keys.api_key_revoke, name="api_key_revoke"),
    path("audit/", settings.audit_trail, name="audit"),
    path("settings/webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("settings/webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("settings/webhooks/<int:endpoint_id>/", webhooks.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:endpoint_id>/edit/", webhooks.webhook_edit, name="webhook_edit"),
    path(
        "settings/webhooks/<int:endpoint_id>/rotate-secret/",
        webhooks.webhook_rotate,
        name="webhook_rotate",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/delete/",
        webhooks.webhook_delete,
        name="webhook_delete",
    ),
    path("settings/webhooks/<int:endpoint_id>/test/", webhooks.webhook_test, name="webhook_test"),
    path(
        "settings/webhooks/<int:endpoint_id>/replay-failed/",
        webhooks.webhook_replay_failed,
        name="webhook_replay_failed",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        webhooks.webhook_replay,
        name="webhook_replay",
    ),
    path("logo/<str:digest>/", public.logo, name="logo"),
    path("join/<str:token>/", public.invitation_open, name="invitation"),
]
