"""Thin tasks of the reports: they receive ids and call one service or mailer."""

from celery import shared_task


@shared_task(name="tracker.reports.tasks.run_export")
def run_export(job_id: int) -> None:
    from .emails import export_ready_send
    from .models import ExportJob
    from .services import export_job_run

    job = export_job_run(job_id=job_id)
    if job is not None and job.status == ExportJob.Status.DONE:
        export_ready_send(job=job)


@shared_task(name="tracker.reports.tasks.send_weekly_report")
def send_weekly_report() -> int:
    from .emails import weekly_report_send

    return weekly_report_send()


@shared_task(name="tracker.reports.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    from .services import export_jobs_purge

    return export_jobs_purge()
