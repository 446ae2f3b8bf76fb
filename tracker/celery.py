"""The Celery application. Configuration comes from Django settings (CELERY_*, see tracker.celery_settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("tracker.celery_settings:CONFIG")
app.autodiscover_tasks()
