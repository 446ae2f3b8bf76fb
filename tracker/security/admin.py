from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import RecoveryCodeDevice


@admin.register(RecoveryCodeDevice)
class RecoveryCodeDeviceAdmin(admin.ModelAdmin):
    """Staff can see that a user has recovery codes and delete them (lost codes); never the codes."""

    list_display = ["user", "name", "confirmed", "remaining"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "name", "confirmed", "remaining"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("unused codes"))
    def remaining(self, obj):
        return obj.remaining
