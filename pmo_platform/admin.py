from django.contrib import admin

from .models import OutboxTask


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "task_name", "created_at", "attempts", "last_error"]
    readonly_fields = ["task_name", "kwargs", "created_at", "attempts", "last_error"]
