"""Django's CELERY_* settings under Celery's own names (CELERY_BROKER_URL is broker_url), as a plain dict.

Celery reads dozens of options for every task it publishes. Read through Django's settings object (the usual
``namespace="CELERY"``), each option left at its default is a failed attribute lookup: about a fifth of the CPU
of publishing a task. Celery imports this module the first time it needs its configuration.
"""

from django.conf import settings

CONFIG = {
    name.removeprefix("CELERY_").lower(): getattr(settings, name)
    for name in dir(settings)
    if name.startswith("CELERY_")
}
