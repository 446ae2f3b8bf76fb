from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_new, name="new"),
    path("<str:reference>/", views.complaint_detail, name="detail"),
    path("<str:reference>/files/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
