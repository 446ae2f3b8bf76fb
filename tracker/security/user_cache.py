"""The signed-in user, with its contact and business, from the cache.

Every signed-in request needs them and they rarely change, so the authentication backend reads them from the
cache instead of a three-table query. Any save or delete of a user, contact or business forgets the users it
concerns (receivers below); writes that bypass signals (``QuerySet.update``) call ``forget`` themselves. The
short lifetime bounds what a missed write could leave behind. Permissions are not cached: ModelBackend loads
them per request, as before.

The password hash is not cached: the cached copy carries the session hash (under a key that changes with
SECRET_KEY, which the session hash depends on) and whether the password is usable; accounts.User answers from
them, and loads the password from the database where it is checked or changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.crypto import salted_hmac

from tracker.customers.models import Business, Contact


def _key(user_id) -> str:
    # A new SECRET_KEY (which the cached session hashes depend on) starts a new set of keys.
    return f"auth-user:v2:{salted_hmac('auth-user-cache', 'v2', algorithm='sha256').hexdigest()[:16]}:{user_id}"


def load(user_id):
    """The active-or-not user with contact and business, or None. The caller decides who may sign in."""
    key = _key(user_id)
    user = cache.get(key)
    if user is None:
        User = get_user_model()
        user = User._default_manager.select_related("contact__business").filter(pk=user_id).first()
        if user is not None:
            _leave_password_out(user)
            cache.set(key, user, settings.AUTH_USER_CACHE_SECONDS)
    return user


def _leave_password_out(user) -> None:
    user.cached_session_auth_hash = user.get_session_auth_hash()
    user.cached_has_usable_password = user.has_usable_password()
    del user.__dict__["password"]  # now a deferred field: reading it queries the database


def forget(user_ids: Iterable) -> None:
    """Drop these users now and again after the current transaction commits.

    The second time covers a request that read the old row and cached it while the write was not committed yet.
    """
    keys = [_key(user_id) for user_id in user_ids if user_id is not None]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL, dispatch_uid="user_cache_user")
def _user_changed(sender, instance, **kwargs):
    forget([instance.pk])


@receiver(pre_save, sender=Contact, dispatch_uid="user_cache_contact_moved")
def _contact_moving(sender, instance, **kwargs):
    # A contact given to another user: the previous user loses it too.
    if instance.pk is not None:
        previous = Contact.objects.filter(pk=instance.pk).exclude(user_id=instance.user_id)
        forget(previous.values_list("user_id", flat=True))


@receiver([post_save, post_delete], sender=Contact, dispatch_uid="user_cache_contact")
def _contact_changed(sender, instance, **kwargs):
    forget([instance.user_id])


@receiver(post_save, sender=Business, dispatch_uid="user_cache_business")
def _business_changed(sender, instance, **kwargs):
    forget(Contact.objects.filter(business_id=instance.pk).values_list("user_id", flat=True))
