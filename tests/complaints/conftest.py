import pytest

from tests.factories import ContactFactory, SubscriptionFactory, UserFactory


@pytest.fixture(autouse=True)
def _no_admin_otp(settings):
    # The admin's second factor is tested by the security app; here staff are already verified.
    settings.ADMIN_REQUIRE_OTP = False


@pytest.fixture
def subscription(db):
    return SubscriptionFactory()


@pytest.fixture
def contact(subscription):
    user = UserFactory()
    return ContactFactory(business=subscription.business, user=user, language="fr")


@pytest.fixture
def admin_contact(subscription):
    return ContactFactory(business=subscription.business, user=UserFactory(), is_business_admin=True, language="de")


@pytest.fixture
def agent(db):
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, email="agent@operator.example")
    user.groups.add(Group.objects.get(name="agent"))
    return user


@pytest.fixture
def manager(db):
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, email="manager@operator.example")
    user.groups.add(Group.objects.get(name="manager"))
    return user


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
