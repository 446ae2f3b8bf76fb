"""Thin tasks: ids in, one idempotent service out."""

from celery import shared_task


@shared_task(name="complaints.tasks.detect_spikes")
def detect_spikes() -> int:
    from .spikes import spikes_detect

    return len(spikes_detect())


@shared_task(name="complaints.tasks.check_sla")
def check_sla() -> tuple[int, int]:
    from .alerts import sla_check

    return sla_check()


@shared_task(name="complaints.tasks.send_spike_alert")
def send_spike_alert(spike_id: int) -> bool:
    from .alerts import spike_alert_send

    return spike_alert_send(spike_id=spike_id)
