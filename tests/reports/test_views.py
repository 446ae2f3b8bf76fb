import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory
from tracker.customers.roles import MANAGER
from tracker.reports.emails import weekly_report_send
from tracker.reports.models import ExportJob, ExportLog

from .factories import ReportComplaintFactory, ReportIncidentFactory

pytestmark = pytest.mark.django_db


def test_report_page_needs_login_and_permission(client, agent):
    assert client.get(reverse("reports:index")).status_code == 302
    client.force_login(agent)
    assert client.get(reverse("reports:index")).status_code == 403


def test_manager_sees_the_incident_report_with_charts(client, manager, outage):
    client.force_login(manager)

    response = client.get(reverse("reports:incident", args=[outage.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg") == 3
    assert "style=" not in body
    assert response.context["figures"].complaints == 3
    assert "reports/reports.css" in body


def test_report_page_filters_by_period(client, manager, outage):
    client.force_login(manager)

    response = client.get(reverse("reports:index"), {"date_from": "2026-03-02", "date_to": "2026-03-02"})

    assert response.status_code == 200
    assert response.context["figures"].complaints == 4
    assert [i.complaint_count for i in response.context["incidents"]] == [3]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-01"},
        {"date_to": "yesterday"},
        {"service": "999999"},
        {"incident": "abc"},
        {"date_from": "2026-03-05", "date_to": "2026-03-01"},
    ],
)
def test_bad_filters_give_400_with_a_message(client, manager, params):
    client.force_login(manager)

    response = client.get(reverse("reports:index"), params)

    assert response.status_code == 400
    assert response.context["filter_errors"]
    assert 'class="errorlist"' in response.content.decode()


def test_bad_filters_on_export_give_400_and_no_log(client, manager):
    client.force_login(manager)

    response = client.get(reverse("reports:export", args=["complaints", "csv"]), {"region": "x"})

    assert response.status_code == 400
    assert ExportLog.objects.count() == 0


def test_export_without_permission_is_403_and_logged(client, agent, outage):
    client.force_login(agent)

    response = client.get(reverse("reports:export", args=["complaints", "csv"]), {"incident": outage.pk})

    assert response.status_code == 403
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.allowed, log.row_count) == (agent, "complaints", False, None)
    assert ExportJob.objects.count() == 0


def test_small_export_streams_csv_and_is_logged(client, manager, outage):
    client.force_login(manager)

    response = client.get(reverse("reports:export", args=["complaints", "csv"]), {"incident": outage.pk})

    assert response.status_code == 200
    assert response.streaming
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="complaints-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 4
    log = ExportLog.objects.get()
    assert (log.user, log.via, log.row_count, log.filters) == (manager, "web", 3, {"incident": outage.pk})


def test_small_xlsx_export(client, manager, outage):
    client.force_login(manager)

    response = client.post(reverse("reports:export", args=["decisions", "xlsx"]), {"incident": outage.pk})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 3
    assert ExportLog.objects.get().row_count == 2


def test_large_export_runs_as_a_job_and_mails_an_expiring_link(
    client, manager, outage, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_STREAM_MAX_ROWS = 2
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:export", args=["complaints", "csv"]), {"incident": outage.pk})

    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.status, job.row_count, job.requester) == ("done", 3, manager)
    assert job.file_path.startswith("exports/") and job.file_path.endswith(".csv")
    assert ExportLog.objects.get().row_count == 3
    assert len(mail.outbox) == 1
    link = reverse("reports:download", args=[job.token])
    assert link in mail.outbox[0].body

    download = client.get(link)
    assert download.status_code == 200
    assert "no-store" in download["Cache-Control"]
    assert len(list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))) == 4

    other = UserFactory(username="other-manager")
    other.groups.add(Group.objects.get(name=MANAGER))
    client.force_login(other)
    assert client.get(link).status_code == 403
    assert ExportLog.objects.filter(allowed=False, user=other).count() == 1

    client.force_login(manager)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(link).status_code == 410


def test_weekly_report_mails_managers_an_xlsx(manager, outage):
    UserFactory(username="no-role", email="nobody@example.com")

    sent = weekly_report_send(today=dt.date(2026, 3, 9))

    assert sent == 1
    message = mail.outbox[0]
    assert message.to == ["boss@example.com"]
    name, content, _mimetype = message.attachments[0]
    assert name == "outage-report-2026-03-02.xlsx"
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames[:2] == ["Summary", "Incidents"]
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Complaints"] == 4
    assert summary["Incidents"] == 1
    assert ExportLog.objects.filter(via="schedule", user=manager).count() == 3


def test_weekly_report_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reports-weekly-email"]
    assert entry["task"] == "tracker.reports.tasks.send_weekly_report"
    assert entry["schedule"].day_of_week == {1}
    assert entry["schedule"].hour == {7}


def _seed_incidents(n):
    for i in range(n):
        incident = ReportIncidentFactory(started_at=timezone.now() - dt.timedelta(hours=i + 1))
        ReportComplaintFactory(incident=incident)


def test_report_page_query_count_does_not_grow_with_incidents(client, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    _seed_incidents(3)
    client.get(reverse("reports:index"))  # warm up one-time lookups (content types, sessions)

    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("reports:index")).status_code == 200
    _seed_incidents(3)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("reports:index"))

    assert len(response.context["incidents"]) == 6
    assert len(large.captured_queries) == len(small.captured_queries)


def test_large_export_by_get_is_not_started_and_asks_for_the_button(client, manager, outage, settings):
    settings.REPORTS_STREAM_MAX_ROWS = 2
    client.force_login(manager)

    response = client.get(reverse("reports:export", args=["complaints", "csv"]), {"incident": outage.pk})

    assert response.status_code == 302
    assert ExportJob.objects.count() == 0
    assert ExportLog.objects.count() == 0


def test_purge_deletes_expired_files_and_keeps_live_ones(manager, settings, tmp_path):
    from tracker.reports.services import export_jobs_purge

    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "exports").mkdir()
    now = timezone.now()
    old = ExportJob.objects.create(
        requester=manager, kind="complaints", status="done", file_path="exports/old.csv", expires_at=now
    )
    live = ExportJob.objects.create(
        requester=manager,
        kind="complaints",
        status="done",
        file_path="exports/live.csv",
        expires_at=now + dt.timedelta(hours=1),
    )
    (tmp_path / "exports/old.csv").write_text("x")
    (tmp_path / "exports/live.csv").write_text("x")

    assert export_jobs_purge(now=now) == 1

    old.refresh_from_db()
    live.refresh_from_db()
    assert (old.status, live.status) == ("expired", "done")
    assert not (tmp_path / "exports/old.csv").exists()
    assert (tmp_path / "exports/live.csv").exists()
