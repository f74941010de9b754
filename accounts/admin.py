"""The Django admin is for platform operators (staff). OperatorAdminMiddleware lets staff read
across firms here, and only here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import (
    AuditEntry,
    Branding,
    ClientExecutive,
    ClientOrganisation,
    Firm,
    Invitation,
    Membership,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "language", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "language"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "language"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = ["groups"]


class TenantAdmin(admin.ModelAdmin):
    list_select_related = ["firm"]
    readonly_fields = ["firm"]

    @admin.display(description="firm", ordering="firm__name")
    def firm_name(self, obj):
        return obj.firm.name


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False


class ClientInline(admin.TabularInline):
    model = ClientOrganisation
    extra = 0
    fields = ["name", "industry", "size_band", "country", "archived_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline, ClientInline]


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "firm_name", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "firm__name"]
    raw_id_fields = ["user"]


@admin.register(ClientOrganisation)
class ClientOrganisationAdmin(TenantAdmin):
    list_display = ["name", "firm_name", "industry", "size_band", "country", "archived_at"]
    list_filter = ["industry", "size_band", "archived_at"]
    search_fields = ["name", "firm__name"]
    readonly_fields = ["firm", "created_by", "archived_at"]


@admin.register(ClientExecutive)
class ClientExecutiveAdmin(TenantAdmin):
    list_display = ["user", "client", "firm_name", "created_at"]
    raw_id_fields = ["user", "client", "granted_by"]


@admin.register(Invitation)
class InvitationAdmin(TenantAdmin):
    list_display = ["email", "role", "firm_name", "created_at", "email_sent_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "firm__name"]
    readonly_fields = ["firm", "token_hash", "invited_by", "accepted_by", "client"]


@admin.register(Branding)
class BrandingAdmin(TenantAdmin):
    list_display = ["firm_name", "sender_name", "default_language", "updated_at"]


@admin.register(AuditEntry)
class AuditEntryAdmin(TenantAdmin):
    list_display = ["created_at", "firm_name", "actor", "action", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["action", "firm__name", "actor__email"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class ReadOnlyTenantAdmin(TenantAdmin):
    """Operators look; the firm's owners and admins change webhooks on their pages."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyTenantAdmin):
    # The signing secret is never shown (it is not an editable field).
    list_display = ["url", "firm_name", "enabled", "disabled_reason", "failing_since"]
    list_filter = ["enabled", "disabled_reason"]
    search_fields = ["url", "firm__name"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "firm_name",
        "endpoint",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "last_error_code",
    ]
    list_select_related = ["firm", "endpoint"]
    list_filter = ["status"]
