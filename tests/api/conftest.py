"""The API tests' world: two businesses, their contacts, an agent and a manager, each with a token."""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import (
    BusinessFactory,
    ContactFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
    UserFactory,
)
from tracker.api.services import api_token_create
from tracker.customers.roles import AGENT, MANAGER

ROLES = ["anonymous", "contact_a", "contact_b", "agent", "manager"]


@pytest.fixture(autouse=True)
def _api_settings(settings):
    # Generous rates (tests that check throttling set their own) and a fresh cache per test.
    settings.API_THROTTLE_RATES = {
        "anon": "10000/minute",
        "user": "10000/minute",
        "ip": "10000/minute",
        "sign": "10000/minute",
    }
    settings.COMPLAINTS_RATE_PER_IP = 0
    settings.COMPLAINTS_RATE_PER_BUSINESS = 0
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    service: object
    region: object
    business_a: object
    business_b: object
    subscription_a: object
    subscription_b: object
    contact_a: object
    contact_b: object
    agent: object
    manager: object
    tokens: dict = field(default_factory=dict)

    def client(self, role: str) -> "RoleClient":
        return RoleClient(None if role == "anonymous" else self.tokens[role])


_shared: list[APIClient] = []


def shared_client() -> APIClient:
    """One APIClient for the whole run: each new client loads the middleware again (WhiteNoise scans static files)."""
    if not _shared:
        _shared.append(APIClient())
    client = _shared[0]
    client.cookies.clear()
    return client


class RoleClient:
    """The shared client, sending one role's bearer token."""

    def __init__(self, token: str | None):
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def __getattr__(self, method):
        if method not in {"get", "post", "put", "patch", "delete", "head", "options", "generic"}:
            raise AttributeError(method)

        def call(*args, **kwargs):
            client = shared_client()
            return getattr(client, method)(*args, **{**self.headers, **kwargs})

        return call


def staff_user(username: str, group: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def world(db) -> World:
    service = ServiceFactory(slug="business-phone", name="Business phone")
    region = RegionFactory(code="CH-VD", name="Vaud")
    business_a = BusinessFactory(customer_number="CU-A", company_name="Alpha SA")
    business_b = BusinessFactory(customer_number="CU-B", company_name="Beta Sàrl")
    subscription_a = SubscriptionFactory(business=business_a, service=service, region=region)
    subscription_b = SubscriptionFactory(business=business_b, service=service, region=region)
    contact_a = ContactFactory(business=business_a, user=UserFactory(username="alice"), is_business_admin=True)
    contact_b = ContactFactory(business=business_b, user=UserFactory(username="bob"), is_business_admin=True)
    world = World(
        service=service,
        region=region,
        business_a=business_a,
        business_b=business_b,
        subscription_a=subscription_a,
        subscription_b=subscription_b,
        contact_a=contact_a,
        contact_b=contact_b,
        agent=staff_user("agent", AGENT),
        manager=staff_user("manager", MANAGER),
    )
    for role, user in (
        ("contact_a", contact_a.user),
        ("contact_b", contact_b.user),
        ("agent", world.agent),
        ("manager", world.manager),
    ):
        _row, secret = api_token_create(user=user, name=f"{role} token")
        world.tokens[role] = secret
    return world
