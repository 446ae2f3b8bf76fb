"""Customer login: password, or a one-time link by e-mail."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import LoginForm, LoginLinkForm
from .ratelimit import client_ip, hit
from .services import login_link_consume, login_link_user, login_link_users_for
from .tasks import send_login_link


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(link_form=LoginLinkForm(), **kwargs)

    def post(self, request, *args, **kwargs):
        if not hit(key=f"login-ip:{client_ip(request)}", limit=20, window=300):
            return render(request, "accounts/429.html", status=429)
        return super().post(request, *args, **kwargs)


@require_http_methods(["POST"])
def login_link_request(request):
    form = LoginLinkForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/login.html", {"form": LoginForm(request), "link_form": form}, status=400)
    email = form.cleaned_data["email"].lower()
    if not (
        hit(key=f"login-link-ip:{client_ip(request)}", limit=10, window=3600)
        and hit(key=f"login-link-email:{email}", limit=5, window=3600)
    ):
        return render(request, "accounts/429.html", status=429)
    with transaction.atomic():
        for user_id in login_link_users_for(email=email).values_list("pk", flat=True)[:5]:
            send_login_link.delay_on_commit(user_id, get_language() or settings.LANGUAGE_CODE)
    # The same answer whether or not the address is known.
    return render(request, "accounts/link_sent.html", {"email": email})


@require_http_methods(["GET", "POST"])
def login_link(request, token: str):
    """GET shows a button (mail scanners that follow links do not log anyone in); POST logs in."""
    user = login_link_user(token=token)
    if user is None:
        return render(request, "accounts/link_invalid.html", status=400)
    if request.method == "POST":
        login_link_consume(token=token)
        login(request, user, backend="tracker.security.backends.AdmissionModelBackend")
        messages.success(request, _("You are logged in."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "complaints:list" if hasattr(user, "contact") else settings.LOGIN_REDIRECT_URL
        return redirect(target)
    return render(request, "accounts/link_confirm.html", {"token": token})
