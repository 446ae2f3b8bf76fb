"""The no-op page behind the B-NOOP benchmark baseline.

Mounted at ``bench/noop`` only when ``BENCH_NOOP_VIEW`` is true (the benchmark harness sets it for the servers it
starts). It runs the whole production middleware stack but touches neither the database nor the session, so its
requests per second are the ceiling any real page of this deployment can reach.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def noop(request):
    return HttpResponse(b"ok\n", content_type="text/plain; charset=utf-8")
