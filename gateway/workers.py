"""``passgate serve --workers N``: N server processes sharing one port.

Each worker is a fresh interpreter (spawned, not forked: no engine, pool, event loop or Redis
client crosses a process boundary) running its own app, database pool and Redis client, and
binding the port with ``SO_REUSEPORT`` so the kernel spreads incoming connections over them.
The parent only supervises: a worker that dies is started again, unless it died within
``EARLY_EXIT`` seconds of starting (a bad port or settings: then everything stops with an
error instead of looping); SIGTERM or SIGINT stops every worker gracefully.

Several workers are only correct where no state that matters lives in one process:
PostgreSQL (SQLite's single writer is guarded by a lock inside one process) and Redis (rate
limit windows and live subscriptions are per process without it).
"""

import logging
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy.engine import make_url

from .settings import Settings

log = logging.getLogger("passgate.workers")

EARLY_EXIT = 5.0
STOP_GRACE = 10.0


def default_workers(settings: Settings) -> int:
    """One per core in production, one in development."""
    return (os.cpu_count() or 1) if settings.env == "production" else 1


def why_not_several(settings: Settings) -> str | None:
    """What rules out several workers with these settings, in words; None when nothing."""
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        return ("--workers > 1 needs PostgreSQL: SQLite has one writer, which passgate "
                "guards with a lock inside one process (several processes would queue on "
                "the file lock and time out); use one worker on SQLite")
    if not settings.redis_url:
        return ("--workers > 1 needs Redis (PASSGATE_REDIS_URL): without it rate limits and "
                "live subscriptions are counted per process, so N workers would allow N "
                "times the limits")
    return None


def _serve_one(host: str, port: int) -> None:
    """A worker: the same app ``passgate serve`` runs, on a port shared with its siblings."""
    from aiohttp import web

    from .app import create_app

    settings = Settings()
    logging.basicConfig(level=settings.log_level,
                        format=f"%(asctime)s %(levelname)s [{os.getpid()}] %(name)s %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(create_app(settings), host=host, port=port, reuse_port=True, print=None,
                handle_signals=True)


def run(settings: Settings, host: str, port: int, count: int) -> int:
    """Start ``count`` workers and supervise them until a signal; the exit status."""
    settings.secret  # noqa: B018  (a development secret file is made once, here, not N times)
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> tuple[BaseProcess, float]:
        proc = ctx.Process(target=_serve_one, args=(host, port), daemon=False)
        proc.start()
        return proc, time.monotonic()

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [start() for _ in range(count)]
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, (proc, started) in enumerate(workers):
                if proc.is_alive() or stopping:
                    continue
                if time.monotonic() - started < EARLY_EXIT:
                    print(f"passgate: worker {proc.pid} exited with {proc.exitcode} right "
                          f"after starting; stopping", file=sys.stderr)
                    stopping, status = True, 1
                    break
                log.warning("worker %s exited with %s; starting another", proc.pid,
                            proc.exitcode)
                workers[i] = start()
    finally:
        for proc, _ in workers:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: aiohttp finishes requests and runs cleanup
        deadline = time.monotonic() + STOP_GRACE
        for proc, _ in workers:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()
    return status
