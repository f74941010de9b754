from django.urls import path

from . import views

app_name = "accounts"

# Every URL here names a firm: FirmScopeMiddleware enters that firm's scope after checking access.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:client_id>/", views.client_detail, name="client_detail"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:client_id>/archive/", views.client_archive, name="client_archive"),
    path(
        "clients/<int:client_id>/executives/invite/",
        views.executive_invite,
        name="executive_invite",
    ),
    path(
        "clients/<int:client_id>/executives/<int:grant_id>/revoke/",
        views.executive_revoke,
        name="executive_revoke",
    ),
    path("team/", views.team, name="team"),
    path("team/invite/", views.team_invite, name="team_invite"),
    path("team/<int:member_id>/role/", views.member_role, name="member_role"),
    path("team/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"
    ),
    path(
        "invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("settings/branding/", views.branding, name="branding"),
    path("audit/", views.audit_trail, name="audit"),
    path("logo/<str:digest>/", views.logo, name="logo"),
    path("join/<str:token>/", views.invitation_open, name="invitation"),
]
