"""The signed-in user comes from the cache, and every write that concerns it is seen on the next request."""

import pytest
from django.urls import reverse

from tests.factories import BusinessFactory, ContactFactory, UserFactory
from tracker.notifications.services import contact_unsubscribe
from tracker.security.backends import AdmissionModelBackend

pytestmark = pytest.mark.django_db


def _load(user):
    return AdmissionModelBackend().get_user(user.pk)


def test_second_load_costs_no_query_and_brings_contact_and_business(django_assert_num_queries):
    contact = ContactFactory(user=UserFactory())
    with django_assert_num_queries(1):
        _load(contact.user)
    with django_assert_num_queries(0):
        user = _load(contact.user)
        assert user.contact.business.company_name == contact.business.company_name


def test_deactivated_user_is_refused_at_once():
    user = UserFactory()
    assert _load(user) is not None
    user.is_active = False
    user.save()
    assert _load(user) is None


def test_contact_rights_and_business_changes_are_seen_at_once():
    contact = ContactFactory(user=UserFactory(), is_business_admin=False)
    assert not _load(contact.user).contact.is_business_admin
    contact.is_business_admin = True
    contact.save()
    assert _load(contact.user).contact.is_business_admin

    contact.business.company_name = "Renamed SA"
    contact.business.save()
    assert _load(contact.user).contact.business.company_name == "Renamed SA"


def test_contact_given_to_another_user_leaves_the_first_one():
    first, second = UserFactory(), UserFactory()
    contact = ContactFactory(user=first)
    assert _load(first).contact.pk == contact.pk
    contact.user = second
    contact.save()
    assert not hasattr(_load(first), "contact")
    assert _load(second).contact.pk == contact.pk


def test_contact_deleted_or_moved_to_another_business():
    contact = ContactFactory(user=UserFactory())
    other = BusinessFactory()
    _load(contact.user)
    contact.business = other
    contact.save()
    assert _load(contact.user).contact.business_id == other.pk
    contact.delete()
    assert not hasattr(_load(contact.user), "contact")


def test_writes_that_bypass_signals_forget_too():
    contact = ContactFactory(user=UserFactory())
    assert _load(contact.user).contact.unsubscribed_at is None
    contact_unsubscribe(contact=contact)
    assert _load(contact.user).contact.unsubscribed_at is not None


def test_signed_in_page_refuses_a_user_deactivated_after_login(client):
    contact = ContactFactory(user=UserFactory())
    client.force_login(contact.user)
    assert client.get(reverse("complaints:list")).status_code == 200
    contact.user.is_active = False
    contact.user.save()
    response = client.get(reverse("complaints:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_cache_holds_no_password_hash(django_assert_num_queries):
    import pickle

    from django.core.cache import cache

    from tracker.security import user_cache

    user = UserFactory()
    user.set_password("correct horse battery staple")
    user.save()
    _load(user)

    cached = cache.get(user_cache._key(user.pk))
    assert "password" not in cached.__dict__
    assert user.password.encode() not in pickle.dumps(cached)
    # What each request needs is answered without it; checking a password loads it.
    with django_assert_num_queries(0):
        loaded = _load(user)
        assert loaded.get_session_auth_hash() == user.get_session_auth_hash()
        assert loaded.has_usable_password()
    with django_assert_num_queries(1):
        assert loaded.check_password("correct horse battery staple")


def test_a_password_changed_elsewhere_ends_the_other_sessions(client):
    contact = ContactFactory(user=UserFactory())
    client.force_login(contact.user)
    assert client.get(reverse("complaints:list")).status_code == 200  # the user is cached now

    contact.user.set_password("a new one, changed from another browser")
    contact.user.save()

    assert client.get(reverse("complaints:list")).status_code == 302


def test_the_password_change_page_works_for_a_cached_user(client, settings):
    settings.ADMIN_REQUIRE_OTP = False
    user = UserFactory(is_staff=True)
    user.set_password("the old password 2026")
    user.save()
    client.force_login(user)
    assert client.get(reverse("admin:password_change")).status_code == 200  # the user is cached now

    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": "the old password 2026",
            "new_password1": "Brand-new passphrase 77",
            "new_password2": "Brand-new passphrase 77",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.check_password("Brand-new passphrase 77")
    assert client.get(reverse("security:sessions")).status_code == 200  # this session goes on


def test_a_new_secret_key_starts_a_new_set_of_entries(settings):
    from tracker.security import user_cache

    before = user_cache._key(7)
    settings.SECRET_KEY = "another secret key, rotated for this test, long enough to be taken seriously"

    assert user_cache._key(7) != before
