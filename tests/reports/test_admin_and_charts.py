import csv
import io

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from tracker.notifications.models import Delivery
from tracker.reports import admin_actions, charts
from tracker.reports.models import ExportJob, ExportLog

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().post("/admin/notifications/delivery/?channel__exact=email")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_export_actions_are_on_the_registered_admins():
    admin_actions.install()

    model_admin = admin.site._registry.get(Delivery)

    assert model_admin is not None
    assert admin_actions.export_csv in model_admin.actions
    assert admin_actions.export_xlsx in model_admin.actions


def test_admin_action_exports_the_selected_rows_and_logs(manager, outage):
    model_admin = admin.site._registry[Delivery]
    selected = Delivery.objects.filter(channel="email", job__kind="incident.update")

    response = admin_actions.export_csv(model_admin, _request(manager), selected)

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + 3
    assert {row[5] for row in rows[1:]} == {"E-mail"}
    log = ExportLog.objects.get()
    assert (log.via, log.kind, log.row_count, log.allowed) == ("admin", "deliveries", 3, True)


def test_admin_action_without_permission_is_refused_and_logged(agent, outage):
    model_admin = admin.site._registry[Delivery]

    response = admin_actions.export_csv(model_admin, _request(agent), Delivery.objects.all())

    assert response is None
    log = ExportLog.objects.get()
    assert (log.via, log.allowed, log.row_count) == ("admin", False, None)
    assert ExportJob.objects.count() == 0


def test_charts_escape_labels_and_use_no_inline_style():
    svg = charts.bar_chart([("<script>alert(1)</script>", 3), ("b", 0)], title='Say "hi" & <b>')

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert 'aria-label="Say &quot;hi&quot; &amp; &lt;b&gt;"' in svg
    assert svg.count("<rect") == 2


def test_grouped_bars_draw_one_bar_per_series_and_group():
    svg = charts.grouped_bars([("E-mail", [5, 1]), ("SMS", [2, 0])], series=["Sent", "Failed"], title="t")

    # Two legend squares and four bars.
    assert svg.count("<rect") == 6
    assert ">5<" in svg and ">E-mail<" in svg
