"""50 identical signatures at the same time leave one row (PostgreSQL: real concurrent transactions)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from petitions import services
from petitions.models import Signature

from .factories import PetitionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PARALLEL = 50


def test_fifty_parallel_identical_signatures_give_exactly_one_row(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so there is no race to test")
    settings.PETITIONS_SIGNATURES_PER_IP_PER_HOUR = 1000
    petition = PetitionFactory()
    barrier = threading.Barrier(PARALLEL)

    def sign(i):
        try:
            barrier.wait(timeout=30)
            return services.petition_sign(
                petition=petition,
                name=f"Signer {i}",
                email="same.person@atelier.example",
                loss_amount=Decimal("10.00"),
                loss_currency="EUR",
                ip=f"198.51.100.{i}",
            ).result
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(sign, range(PARALLEL)))

    assert sorted(set(results)) == ["created", "duplicate"]
    assert results.count("created") == 1
    assert Signature.objects.filter(petition=petition).count() == 1
