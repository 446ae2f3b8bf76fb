"""Load the demo data: the two stories as data. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

# Each module's seed(stdout=...) is idempotent; order follows the dependencies.
SEEDERS = [
    "tracker.customers.demo.seed",
    "tracker.incidents.demo.seed",
    "complaints.demo.seed",
    "petitions.demo.seed",
    "tracker.reports.demo.seed",
]


class Command(BaseCommand):
    help = "Load the demo data (services, regions, businesses, the two outage stories). Idempotent."

    def handle(self, *args, **options):
        with transaction.atomic():
            for path in SEEDERS:
                import_string(path)(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
