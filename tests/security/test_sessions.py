import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tracker.security.middleware import SESSION_LAST_SEEN

pytestmark = pytest.mark.django_db


def _age_session(client, seconds):
    session = client.session
    session[SESSION_LAST_SEEN] = session[SESSION_LAST_SEEN] - seconds
    session.save()


def test_idle_session_is_logged_out(client, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(UserFactory())
    assert client.get(reverse("security:overview")).status_code == 200

    _age_session(client, 31 * 60)
    response = client.get(reverse("security:overview"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_active_session_stays(client, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(UserFactory())
    client.get("/")

    _age_session(client, 29 * 60)
    first = client.get(reverse("security:overview"))
    _age_session(client, 29 * 60)
    second = client.get(reverse("security:overview"))

    assert (first.status_code, second.status_code) == (200, 200)


def test_authenticated_pages_offer_log_out(client):
    client.force_login(UserFactory())

    body = client.get("/").content.decode()

    assert 'action="/admin/logout/"' in body or 'action="/accounts/logout/"' in body
    assert 'href="/security/"' in body


# --- The sessions page ---------------------------------------------------------------

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"


def _password_login(client, user, *, agent, address):
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": "correct-horse-battery"},
        HTTP_USER_AGENT=agent,
        REMOTE_ADDR=address,
    )
    assert response.status_code == 302, response.content[:300]
    return client.session.session_key


@pytest.fixture
def two_browsers(client):
    from django.test import Client

    user = UserFactory()
    user.set_password("correct-horse-battery")
    user.save()
    laptop, phone = client, Client()
    laptop_key = _password_login(laptop, user, agent=FIREFOX, address="203.0.113.77")
    phone_key = _password_login(phone, user, agent=PHONE, address="2001:db8:abcd:12::5")
    return user, (laptop, laptop_key), (phone, phone_key)


def test_login_records_the_session_without_key_or_address(two_browsers):
    from tracker.security.models import UserSession

    user, (_laptop, laptop_key), (_phone, phone_key) = two_browsers

    rows = {row.user_agent: row for row in UserSession.objects.filter(user=user)}

    assert set(rows) == {FIREFOX, PHONE}
    assert rows[FIREFOX].network == "203.0.113.0/24"
    assert rows[PHONE].network == "2001:db8:abcd::/48"
    stored = " ".join(str(v) for row in rows.values() for v in row.__dict__.values())
    for secret in (laptop_key, phone_key, "203.0.113.77", "2001:db8:abcd:12::5"):
        assert secret not in stored


def test_sessions_page_lists_both_and_flags_this_one(two_browsers):
    _user, (laptop, _key), _phone = two_browsers

    response = laptop.get(reverse("security:sessions"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Firefox/140.0" in body and "iPhone" in body
    assert "203.0.113.0/24" in body and "203.0.113.77" not in body
    current = [row for row in response.context["sessions"] if row.is_current]
    assert [row.user_agent for row in current] == [FIREFOX]
    assert response["Cache-Control"].startswith("no-store")


def test_overview_links_to_the_sessions_page(client):
    client.force_login(UserFactory())

    body = client.get(reverse("security:overview")).content.decode()

    assert f'href="{reverse("security:sessions")}"' in body


def test_log_out_others_ends_the_other_session_and_keeps_this_one(two_browsers):
    from django.contrib.sessions.models import Session

    from tracker.security.models import UserSession

    user, (laptop, laptop_key), (phone, _phone_key) = two_browsers

    response = laptop.post(reverse("security:sessions_logout_others"))

    assert response.status_code == 302
    assert set(Session.objects.values_list("session_key", flat=True)) == {laptop_key}
    assert list(UserSession.objects.filter(user=user).values_list("user_agent", flat=True)) == [FIREFOX]
    assert phone.get(reverse("security:overview")).status_code == 302
    assert laptop.get(reverse("security:overview")).status_code == 200


def test_log_out_others_leaves_other_users_alone(two_browsers, client):
    from django.contrib.sessions.models import Session
    from django.test import Client

    _user, (laptop, laptop_key), _phone = two_browsers
    stranger = Client()
    stranger_key = _password_login(stranger, _make_user(), agent=PHONE, address="198.51.100.9")

    laptop.post(reverse("security:sessions_logout_others"))

    assert set(Session.objects.values_list("session_key", flat=True)) == {laptop_key, stranger_key}
    assert stranger.get(reverse("security:sessions")).status_code == 200


def test_log_out_others_needs_post(two_browsers):
    from django.contrib.sessions.models import Session

    _user, (laptop, _key), _phone = two_browsers

    assert laptop.get(reverse("security:sessions_logout_others")).status_code == 405
    assert Session.objects.count() == 2


def test_logout_deletes_the_row(two_browsers):
    from tracker.security.models import UserSession

    user, _laptop, (phone, _key) = two_browsers

    phone.post(reverse("accounts:logout"))

    assert list(UserSession.objects.filter(user=user).values_list("user_agent", flat=True)) == [FIREFOX]


def test_last_seen_is_written_at_most_every_few_minutes(two_browsers):
    from tracker.security.middleware import SESSION_ROW_TOUCHED
    from tracker.security.models import UserSession

    user, (laptop, _key), _phone = two_browsers
    row = UserSession.objects.get(user=user, user_agent=FIREFOX)
    first_seen = row.last_seen_at

    laptop.get("/")
    assert UserSession.objects.get(pk=row.pk).last_seen_at == first_seen

    session = laptop.session
    session[SESSION_ROW_TOUCHED] -= 6 * 60
    session.save()
    laptop.get("/")
    assert UserSession.objects.get(pk=row.pk).last_seen_at > first_seen


def test_second_factor_verification_keeps_the_row_under_the_new_key(client, settings):
    from tests.security.factories import StaffFactory, TOTPDeviceFactory
    from tests.security.helpers import totp_token
    from tracker.security.models import UserSession
    from tracker.security.sessions import session_key_digest

    settings.ADMIN_REQUIRE_OTP = True
    staff = StaffFactory()
    staff.set_password("correct-horse-battery")
    staff.save()
    device = TOTPDeviceFactory(user=staff)
    before = _password_login(client, staff, agent=FIREFOX, address="203.0.113.77")

    client.post(reverse("security:otp_verify"), {"token": totp_token(device)})

    after = client.session.session_key
    assert after != before
    assert list(UserSession.objects.filter(user=staff).values_list("session_key_hash", flat=True)) == [
        session_key_digest(after)
    ]


def test_erasure_ends_the_contacts_sessions(two_browsers):
    from django.contrib.sessions.models import Session

    from tests.factories import ContactFactory
    from tracker.security.models import UserSession
    from tracker.security.privacy import contact_erase, contact_export

    user, _laptop, _phone = two_browsers
    contact = ContactFactory(user=user)
    exported = contact_export(contact=contact)["sections"]["sessions"]
    assert sorted(row["device"] for row in exported) == sorted([FIREFOX, PHONE])

    contact_erase(contact=contact)

    assert UserSession.objects.filter(user=user).count() == 0
    assert Session.objects.count() == 0


def _make_user():
    user = UserFactory()
    user.set_password("correct-horse-battery")
    user.save()
    return user


def test_signing_in_as_someone_else_in_the_same_browser_moves_the_row(two_browsers):
    """login() of another user flushes the session (new key): the old user's row goes, the new user's stays."""
    from tracker.accounts.services import login_link_token
    from tracker.security.models import UserSession
    from tracker.security.sessions import session_key_digest

    user, (laptop, old_key), _phone = two_browsers
    colleague = _make_user()

    response = laptop.post(
        reverse("accounts:login_link", args=[login_link_token(user=colleague)]), HTTP_USER_AGENT=FIREFOX
    )

    new_key = laptop.session.session_key
    assert response.status_code == 302
    assert new_key != old_key
    assert list(UserSession.objects.filter(user=user).values_list("user_agent", flat=True)) == [PHONE]
    assert list(UserSession.objects.filter(user=colleague).values_list("session_key_hash", flat=True)) == [
        session_key_digest(new_key)
    ]


def test_retention_drops_the_rows_of_ended_sessions(two_browsers, settings):
    from datetime import timedelta

    from django.utils import timezone

    from tracker.security.models import UserSession
    from tracker.security.privacy import retention_apply

    settings.SESSION_IDLE_TIMEOUT_MINUTES = 120
    user, _laptop, _phone = two_browsers
    UserSession.objects.filter(user_agent=PHONE).update(last_seen_at=timezone.now() - timedelta(hours=3))

    done = retention_apply()

    assert done["sessions"] == 1
    assert list(UserSession.objects.filter(user=user).values_list("user_agent", flat=True)) == [FIREFOX]
