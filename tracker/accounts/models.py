from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Staff members and customer contacts who log in.

    A contact's link to its business lives on Contact.user, so the account
    model stays the one Django expects and can grow without a data migration.
    """

    # A user read from the cache comes without its password hash (tracker/security/user_cache.py): the two answers
    # every request needs of it travel instead. Anything else that reads the password loads it from the database.
    def get_session_auth_hash(self):
        if "password" not in self.__dict__ and "cached_session_auth_hash" in self.__dict__:
            return self.cached_session_auth_hash
        return super().get_session_auth_hash()

    def has_usable_password(self):
        if "password" not in self.__dict__ and "cached_has_usable_password" in self.__dict__:
            return self.cached_has_usable_password
        return super().has_usable_password()
