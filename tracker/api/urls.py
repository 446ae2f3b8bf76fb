from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import compensation, complaint_files, complaints, incidents, notifications, petitions, reports, views

app_name = "api"

router = SimpleRouter()
router.register("incidents", incidents.IncidentViewSet, basename="incident")
router.register("complaints", complaints.ComplaintViewSet, basename="complaint")
router.register(
    r"complaints/(?P<reference>[A-Za-z0-9-]{1,20})/files",
    complaint_files.ComplaintFileViewSet,
    basename="complaint-file",
)
router.register("subscriptions", complaints.SubscriptionViewSet, basename="subscription")
router.register("deliveries", notifications.DeliveryViewSet, basename="delivery")
router.register("petitions/confirm", petitions.SignatureConfirmViewSet, basename="signature-confirm")
router.register("petitions", petitions.PetitionViewSet, basename="petition")
router.register("signatures", petitions.SignatureViewSet, basename="signature")
router.register("compensation-decisions", compensation.DecisionViewSet, basename="decision")
router.register("reports", reports.ReportViewSet, basename="report")
router.register("exports", reports.ExportViewSet, basename="export")

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    *router.urls,
    # Last: every other address under /api/ answers 404 in the error shape.
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
