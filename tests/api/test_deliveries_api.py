"""Deliveries by API: staff read the outbox and retry failed rows through the engine's service."""

from tracker.notifications.models import Delivery

from .scenario import build


def test_delivery_retry_queues_a_failed_delivery_again(world):
    built = build(world)

    response = world.client("agent").post(f"/api/deliveries/{built.delivery.pk}/retry/", {}, format="json")
    again = world.client("agent").post(f"/api/deliveries/{built.delivery.pk}/retry/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["retried"] == 1
    assert again.json()["retried"] == 0
    built.delivery.refresh_from_db()
    assert (built.delivery.status, built.delivery.attempts) == (Delivery.Status.PENDING, 0)
