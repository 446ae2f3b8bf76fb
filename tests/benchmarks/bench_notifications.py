"""One notification job to many contacts through real Celery workers (issue 3).

Goal (on PostgreSQL and Redis): at least 1,000 deliveries per second on the 2-core build machine.
Seeds ``BENCH_CONTACTS`` contacts (default 20,000; the issue's figure is ``BENCH_CONTACTS=100000``), 20 per
business in four languages, each wanting e-mail. Starts ``BENCH_NOTIFY_WORKERS`` (1) ``celery worker`` processes
with ``--concurrency=<cores>`` (prefork) and a local e-mail backend that discards (``dummymail://``), so the
figure is the engine's own cost: expansion, claims, rendering, marking. Then commits one job and waits for the
last row to be sent.
Rows:
- time from the job's commit to its last row sent (the job's finished_at);
- deliveries per second over that time;
- Celery tasks per 100 deliveries (1 expansion + one send_batch per NOTIFY_BATCH_SIZE rows, counted from the
  workers' logs);
- the workers' peak memory (largest VmHWM of any worker process, and the sum over all of them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.harness import BASE_DIR, BENCH_DIR, CPU_COUNT

PER_BUSINESS = 20
LANGUAGES = ["fr", "de", "it", "en"]


def _seed(count: int) -> list[int]:
    from tracker.customers.models import Business, Contact

    prefix = f"NB{int(time.time())}"
    businesses = Business.objects.bulk_create(
        Business(customer_number=f"{prefix}{i:06d}", company_name=f"Bench {i}", language=LANGUAGES[i % 4])
        for i in range((count + PER_BUSINESS - 1) // PER_BUSINESS)
    )
    if not businesses[0].pk:  # backends without RETURNING
        businesses = list(Business.objects.filter(customer_number__startswith=prefix).order_by("pk"))
    contacts = (
        Contact(
            business=businesses[i // PER_BUSINESS],
            name=f"Bench contact {i}",
            email=f"bench{i}@example.com",
            language=LANGUAGES[(i // 3) % 4] if i % 2 else "",
        )
        for i in range(count)
    )
    batch: list = []
    for contact in contacts:
        batch.append(contact)
        if len(batch) == 5000:
            Contact.objects.bulk_create(batch)
            batch = []
    Contact.objects.bulk_create(batch)
    return [b.pk for b in businesses]


def _children(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for child in (task / "children").read_text().split():
                found.extend(_children(int(child)))
        except OSError:
            pass
    return found


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(ctx):
    import django.db
    from django.db import transaction
    from django.utils import timezone

    import tests.notifications.kinds  # noqa: F401  (registers the message kind used here)
    from tracker.notifications.models import Delivery, NotificationJob
    from tracker.notifications.services import notification_job_create

    count = ctx.size("BENCH_CONTACTS", 20_000)
    worker_count = ctx.size("BENCH_NOTIFY_WORKERS", 1)
    concurrency = ctx.size("BENCH_NOTIFY_CONCURRENCY", CPU_COUNT)
    started = time.monotonic()
    business_ids = _seed(count)
    print(f"  [notifications] seeded {count} contacts in {time.monotonic() - started:.1f}s")
    django.db.connections.close_all()

    env = dict(ctx.env)
    env.update({"EMAIL_URL": "dummymail://", "NOTIFY_RATE_LIMITS": "email=0", "LOG_LEVEL": "WARNING"})
    logs = [BENCH_DIR / f"notifications-worker-{i}.log" for i in range(worker_count)]
    workers = []
    for log_path in logs:
        log_path.unlink(missing_ok=True)
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tracker",
                    "worker",
                    "--pool=prefork",
                    f"--concurrency={concurrency}",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"bench-notify-{log_path.stem}@%h",
                    "-I",
                    "tests.notifications.kinds",
                    "--logfile",
                    str(log_path),
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    try:
        deadline = time.monotonic() + 60
        while not all(p.exists() and " ready." in p.read_text(errors="replace") for p in logs):
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise RuntimeError("The Celery workers did not start:\n" + "\n".join(_tail(p) for p in logs))
            time.sleep(0.2)

        with transaction.atomic():
            job = notification_job_create(kind="test.outage_notice", params={"business_ids": business_ids})
        committed = timezone.now()

        timeout = max(120.0, count / 100)
        deadline = time.monotonic() + timeout
        peaks: dict[int, float] = {}
        while True:
            for worker in workers:
                for pid in _children(worker.pid):
                    peaks[pid] = max(peaks.get(pid, 0.0), _peak_rss_mb(pid))
            job.refresh_from_db()
            if job.status == NotificationJob.Status.DONE:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"The job was not done after {timeout:.0f}s:\n" + "\n".join(_tail(p) for p in logs))
            time.sleep(0.25)
        sent = Delivery.objects.filter(job=job, status=Delivery.Status.SENT).count()
        seconds = (job.finished_at - committed).total_seconds()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
    tasks = sum(p.read_text(errors="replace").count("succeeded in") for p in logs if p.exists())
    note = f"{sent}/{count} sent, {worker_count} worker(s) x {concurrency}, dummy e-mail backend"
    ctx.record("notify: commit to last sent", seconds, "s", note=note)
    ctx.record(
        "notify: deliveries per second",
        sent / seconds if seconds > 0 else None,
        "deliveries/s",
        baseline="B-PG",
        goal=">= 1000 (PostgreSQL + Redis)",
    )
    ctx.record("notify: Celery tasks per 100 deliveries", 100 * tasks / max(sent, 1), "tasks", note=f"{tasks} tasks")
    ctx.record("notify: worker peak RSS (largest process)", max(peaks.values(), default=0.0), "MB")
    ctx.record("notify: worker peak RSS (sum of processes)", sum(peaks.values()), "MB", note=f"{len(peaks)} processes")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else f"{path}: no log"
