"""Atom feeds of public updates: all services, and one per service."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tracker.customers.models import Service

from .models import Incident, IncidentUpdate
from .selectors import incident_feed_entries


class IncidentUpdatesFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, slug=None):
        if slug is None:
            return None
        return get_object_or_404(Service, slug=slug)

    def title(self, obj):
        if obj is None:
            return _("Service status: all updates")
        return _("Service status: %(service)s") % {"service": obj.localized_name()}

    def subtitle(self, obj):
        return _("Outages, their updates and corrections, as they are published.")

    def link(self, obj):
        return reverse("incidents:status")

    def feed_url(self, obj):
        if obj is None:
            return reverse("incidents:feed")
        return reverse("incidents:service-feed", args=[obj.slug])

    def items(self, obj):
        return incident_feed_entries(service=obj)

    def item_title(self, item: IncidentUpdate):
        return _("[%(status)s] %(title)s") % {
            "status": Incident.Status(item.status).label,
            "title": item.incident.title,
        }

    def item_description(self, item: IncidentUpdate):
        # Atom "html" content: staff text is escaped, never interpreted.
        return linebreaks(escape(item.message_in(get_language() or "en")))

    def item_link(self, item: IncidentUpdate):
        return f"{reverse('incidents:detail', args=[item.incident_id])}#update-{item.pk}"

    def item_pubdate(self, item: IncidentUpdate):
        return item.published_at

    def item_updateddate(self, item: IncidentUpdate):
        return item.published_at
