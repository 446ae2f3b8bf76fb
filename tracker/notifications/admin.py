from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.customers.models import Channel

from . import selectors, services
from .models import Delivery, NotificationJob, WebhookEndpoint


def _deliveries_url(**filters) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return reverse("admin:notifications_delivery_changelist") + "?" + query


@admin.register(NotificationJob)
class NotificationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "created_at", "finished_at", "duration", "deliveries_link"]
    list_filter = ["status", "kind"]
    search_fields = ["kind", "dedupe_key"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_select_related = ["created_by"]
    readonly_fields = [
        "kind",
        "params",
        "dedupe_key",
        "status",
        "created_by",
        "created_at",
        "expanded_at",
        "finished_at",
        "duration",
        "counts_table",
        "maybe_sent",
        "failed_link",
    ]
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("commit to last delivery"))
    def duration(self, obj):
        value = selectors.job_duration(job=obj)
        return "-" if value is None else _("%(seconds).1f s") % {"seconds": value.total_seconds()}

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, obj):
        return format_html('<a href="{}">{}</a>', _deliveries_url(job__id__exact=obj.pk), _("deliveries"))

    @admin.display(description=_("deliveries by channel and status"))
    def counts_table(self, obj):
        counts = selectors.job_counts(job_id=obj.pk)
        channels = [c for c in Channel if any(key[0] == c for key in counts)]
        statuses = list(Delivery.Status)
        if not channels:
            return _("No deliveries yet.")
        head = format_html_join("", "<th scope='col'>{}</th>", ((s.label,) for s in statuses))
        body = format_html_join(
            "",
            "<tr><th scope='row'>{}</th>{}</tr>",
            (
                (
                    channel.label,
                    format_html_join(
                        "",
                        "<td><a href='{}'>{}</a></td>",
                        (
                            (
                                _deliveries_url(job__id__exact=obj.pk, channel__exact=channel, status__exact=status),
                                counts.get((channel, status), 0),
                            )
                            for status in statuses
                        ),
                    ),
                )
                for channel in channels
            ),
        )
        return format_html("<table><thead><tr><th></th>{}</tr></thead><tbody>{}</tbody></table>", head, body)

    @admin.display(description=_("possibly sent twice"))
    def maybe_sent(self, obj):
        return selectors.job_maybe_sent_count(job_id=obj.pk)

    @admin.display(description=_("failed deliveries"))
    def failed_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            _deliveries_url(job__id__exact=obj.pk, status__exact=Delivery.Status.FAILED),
            _("failed deliveries and their errors"),
        )

    @admin.action(description=_("Retry the failed deliveries"), permissions=["change"])
    def retry_failed(self, request, queryset):
        count = services.deliveries_retry(job_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d delivery will be retried.", "%(count)d deliveries will be retried.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "job",
        "contact",
        "channel",
        "status",
        "attempts",
        "reason",
        "last_error",
        "maybe_sent",
        "sent_at",
    ]
    list_filter = ["status", "channel", "maybe_sent"]
    list_select_related = ["job", "contact"]
    search_fields = ["=contact__email", "=provider_message_id"]
    raw_id_fields = ["job", "contact"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry"]

    def lookup_allowed(self, lookup, value, request=None):
        # The job page and the contact history link here filtered by job or contact.
        if lookup in {"job__id__exact", "contact__id__exact"}:
            return True
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected failed deliveries"), permissions=["change"])
    def retry(self, request, queryset):
        count = services.deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d delivery will be retried.", "%(count)d deliveries will be retried.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["business", "url", "consecutive_failures", "disabled_at"]
    list_filter = [("disabled_at", admin.EmptyFieldListFilter)]
    search_fields = ["business__company_name", "business__customer_number", "url"]
    raw_id_fields = ["business"]
    list_select_related = ["business"]
    readonly_fields = ["consecutive_failures", "created_at"]
    actions = ["enable"]

    @admin.action(description=_("Turn the selected endpoints on again"), permissions=["change"])
    def enable(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_enable(endpoint=endpoint)
        self.message_user(request, _("Endpoints turned on."), messages.SUCCESS)


def contact_history_link(contact) -> str:
    """A link to a contact's delivery history, for the contact admin."""
    return format_html('<a href="{}">{}</a>', _deliveries_url(contact__id__exact=contact.pk), _("Delivery history"))
