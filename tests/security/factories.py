import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(StaffFactory)
    name = "authenticator"
    confirmed = True
