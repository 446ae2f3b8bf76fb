from django.contrib import admin

from .models import ExportJob, ExportLog


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """The audit trail: read only, never edited or deleted from the admin."""

    list_display = ["created_at", "username", "kind", "format", "via", "row_count", "allowed"]
    list_filter = ["allowed", "via", "kind", "format"]
    search_fields = ["username"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "requester", "kind", "format", "status", "row_count", "created_at", "expires_at"]
    list_filter = ["status", "kind", "format"]
    list_select_related = ["requester"]
    readonly_fields = [f.name for f in ExportJob._meta.fields]
    exclude = ["token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
