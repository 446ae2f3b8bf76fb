from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Staff members and customer contacts who log in.

    A contact's link to its business lives on Contact.user, so the account
    model stays the one Django expects and can grow without a data migration.
    """
