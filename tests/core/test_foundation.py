import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from tracker.customers.models import Business, Contact, Region, Service, Subscription

pytestmark = pytest.mark.django_db


def test_staff_roles_exist_with_their_permissions():
    agent = set(Group.objects.get(name="agent").permissions.values_list("codename", flat=True))
    manager = set(Group.objects.get(name="manager").permissions.values_list("codename", flat=True))

    assert {"view_business", "view_contact", "view_subscription"} <= agent
    assert "change_business" not in agent
    assert {"add_business", "change_business", "delete_subscription"} <= manager


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = [m.objects.count() for m in (Service, Region, Business, Contact, Subscription)]

    call_command("seed_demo")

    assert [m.objects.count() for m in (Service, Region, Business, Contact, Subscription)] == counts
    assert counts[0] == 3
    assert counts[1] == 26 + 101
    assert Business.objects.filter(customer_number__startswith="DEMO-0").count() == 500
    assert set(Contact.objects.values_list("business__language", flat=True)) == {"fr", "de", "it", "en"}
    assert set(Subscription.objects.values_list("currency", flat=True)) == {"CHF", "EUR"}


@pytest.mark.parametrize(
    ("language", "text"), [("fr", "Langue"), ("de", "Sprache"), ("it", "Lingua"), ("en", "Language")]
)
def test_home_page_speaks_the_visitors_language(client, language, text):
    response = client.get("/", headers={"accept-language": language})

    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.text
    assert text in response.text


def test_admin_login_page_answers(client):
    assert client.get("/admin/login/").status_code == 200


def test_unknown_page_gets_the_friendly_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text
