from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Business, Contact, Region, Service, Subscription, VoiceLine


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "carries_channel"]
    search_fields = ["name", "slug"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "country", "kind"]
    list_filter = ["country", "kind"]
    search_fields = ["name", "code"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "language", "is_business_admin", "wants_email", "wants_sms"]
    show_change_link = True


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["service", "region", "site_label", "monthly_fee", "currency"]
    autocomplete_fields = ["service", "region"]
    show_change_link = True


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ["company_name", "customer_number", "language", "tier"]
    list_filter = ["language", "tier"]
    search_fields = ["customer_number", "company_name", "registration_id"]
    inlines = [ContactInline, SubscriptionInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "business", "email", "phone", "language", "is_business_admin"]
    list_filter = ["language", "is_business_admin", "wants_email", "wants_sms"]
    list_select_related = ["business"]
    search_fields = ["name", "email", "business__company_name", "business__customer_number"]
    autocomplete_fields = ["business", "user"]
    readonly_fields = ["delivery_history"]

    @admin.display(description=_("notifications"))
    def delivery_history(self, obj):
        from tracker.notifications.admin import contact_history_link

        return contact_history_link(obj) if obj.pk else "-"


class VoiceLineInline(admin.TabularInline):
    model = VoiceLine
    extra = 0
    fields = ["number", "token"]
    readonly_fields = ["token"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["business", "service", "region", "site_label", "monthly_fee", "currency"]
    list_filter = ["service", "currency", "region__country"]
    list_select_related = ["business", "service", "region"]
    search_fields = ["business__company_name", "business__customer_number", "site_label"]
    autocomplete_fields = ["business", "service", "region"]
    inlines = [VoiceLineInline]
