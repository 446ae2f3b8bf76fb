from django.urls import path

from . import views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    path("propose/", views.petition_propose, name="propose"),
    path("compensation/", views.compensation_portal, name="compensation"),
    path("compensation/<int:decision_id>/", views.compensation_answer, name="compensation-answer"),
    path("confirm/<str:token>/", views.signature_confirm, name="confirm"),
    path("withdraw/<str:token>/", views.signature_withdraw, name="withdraw"),
    path("evidence/<int:signature_id>/", views.signature_evidence, name="evidence"),
    path("<slug:slug>/", views.petition_detail, name="detail"),
    path("<slug:slug>/count.json", views.petition_count, name="count"),
    path("<slug:slug>/sign/", views.petition_sign, name="sign"),
    path("<slug:slug>/resend/", views.signature_resend, name="resend"),
]
