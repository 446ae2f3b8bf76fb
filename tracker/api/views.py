"""Schema, docs and the API's own 404."""

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from .permissions import AnyoneAllowed


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, generated once per process and language: it only changes with the code."""

    permission_classes = [AnyoneAllowed]
    _generated: dict = {}

    def _get_schema_response(self, request):
        key = (get_language(), request.GET.get("version"))
        if key not in self._generated:
            self._generated[key] = super()._get_schema_response(request).data
        return Response(
            data=self._generated[key],
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'},
        )


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local static files (sidecar); its init script is a separate file, for the CSP."""

    permission_classes = [AnyoneAllowed]
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


class NotFoundView(APIView):
    """Any other address under /api/: a 404 in the error shape."""

    permission_classes = [AnyoneAllowed]
    authentication_classes = []

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise NotFound()

    post = put = patch = delete = head = options = get
