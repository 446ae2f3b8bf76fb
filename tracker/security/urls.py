from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("two-factor/setup/", views.otp_setup, name="otp_setup"),
    path("two-factor/verify/", views.otp_verify, name="otp_verify"),
    path("two-factor/recovery-codes/", views.recovery_codes_regenerate, name="recovery_codes"),
    path("two-factor/disable/", views.otp_disable, name="otp_disable"),
    path("privacy/export.json", views.privacy_export, name="privacy_export"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/logout-others/", views.sessions_logout_others, name="sessions_logout_others"),
]
