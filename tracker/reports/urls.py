from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path("export/<slug:kind>.<slug:fmt>", views.export, name="export"),
    path("downloads/<str:token>/", views.download, name="download"),
]
