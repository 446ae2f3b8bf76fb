"""Admin of link proposals: the list, and a review page where an agent confirms or dismisses one.

Thin: the decision goes through complaints.linking, which checks the permission.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import linking
from .models import LinkProposal


class ProposalPaginator(Paginator):
    """Pages of one proposal's complaints; their number was stored with it, so nothing is counted."""

    def __init__(self, object_list, per_page, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._stored_count = count

    @cached_property
    def count(self) -> int:
        return self._stored_count


class IncidentIdFilter(admin.SimpleListFilter):
    """Narrows the list to one incident (the link from the incident's page); lists no choices itself."""

    title = _("incident")
    parameter_name = "incident"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, _("This incident"))] if value and value.isdigit() else []

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(incident_id=int(value))
        return queryset


@admin.register(LinkProposal)
class LinkProposalAdmin(admin.ModelAdmin):
    list_display = ["created_at", "incident", "reason", "complaint_count", "state", "decided_by", "linked_count"]
    list_select_related = ["incident", "decided_by"]
    list_filter = ["state", IncidentIdFilter]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def has_add_permission(self, request) -> bool:
        return False  # proposals come from declaring or widening an incident

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a decision stays on record

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposal = get_object_or_404(
            LinkProposal.objects.select_related("incident", "decided_by"), pk=object_id if object_id.isdigit() else 0
        )
        if not self.has_view_or_change_permission(request, proposal):
            raise PermissionDenied
        if request.method == "POST":
            return self._decide(request, proposal)
        paginator = ProposalPaginator(
            linking.link_proposal_complaints(proposal=proposal),
            linking.REVIEW_PAGE_SIZE,
            count=proposal.complaint_count,
        )
        page = paginator.get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": _("Review the complaints proposed for %(incident)s") % {"incident": proposal.incident},
            "opts": self.model._meta,
            "original": proposal,
            "proposal": proposal,
            "page": page,
            "items": list(page.object_list),
            "can_decide": proposal.state == LinkProposal.State.PENDING
            and request.user.has_perm(linking.CONFIRM_PERMISSION),
        }
        return TemplateResponse(request, "complaints/admin/link_proposal_review.html", context)

    def _decide(self, request, proposal: LinkProposal):
        try:
            if "confirm" in request.POST:
                linked = linking.link_proposal_confirm(proposal_id=proposal.pk, actor=request.user)
                self.message_user(
                    request,
                    _("%(count)s complaints linked to %(incident)s.")
                    % {"count": linked, "incident": proposal.incident},
                    messages.SUCCESS,
                )
            elif "dismiss" in request.POST:
                linking.link_proposal_dismiss(proposal_id=proposal.pk, actor=request.user)
                self.message_user(request, _("Proposal dismissed: nothing was linked."), messages.SUCCESS)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:complaints_linkproposal_change", args=[proposal.pk]))
