"""The background worker that pushes wallet updates, from the outbox.

A change that wallets show commits with its outbox event; the events dispatcher turns that
event into a durable push job in the transaction that marks it dispatched
(``resolvers.wallet.push_queue``). This worker, in every ``serve`` process, leases due jobs,
sends the APNs pushes and Google patches, and deletes each job once done (a job whose
endpoint could not be reached is tried again later). Nothing lives only in memory, so a
restart between the commit and the push delays the push, never loses it.
``AppState.wallet_changed`` only wakes the worker, so no request waits on APNs.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from resolvers.db import Database
from resolvers.wallet import push_queue
from resolvers.wallet.apns import ApnsClient
from resolvers.wallet.google import WalletApi
from resolvers.wallet.push import PushReport, deliver, deliver_google
from resolvers.wallet.settings import InstanceDefaults

from .background import poll_forever, running
from .keys import SETTINGS, STATE, WORKER

log = logging.getLogger("passgate.wallet.push")


class WalletPushWorker:
    def __init__(self, db: Database, server_secret: bytes, client: ApnsClient,
                 google_api: WalletApi, base_url: str, poll_seconds: float = 0.5,
                 defaults: InstanceDefaults | None = None) -> None:
        self.db = db
        self.server_secret = server_secret
        self.client = client
        self.google_api = google_api
        self.base_url = base_url
        self.poll_seconds = poll_seconds
        self.defaults = defaults
        self.reports: list[PushReport] = []  # the latest few, for health checks and tests
        self.google_reports: list[PushReport] = []
        self._wake = asyncio.Event()

    def changed(self, change: Any = None) -> None:
        """Called after a commit: look for jobs now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        await poll_forever(self.turn, self._wake, lambda: self.poll_seconds, log,
                           "wallet push")

    async def turn(self) -> bool:
        jobs = await push_queue.claim(self.db)
        for job in jobs:
            await self._send(job)
        return bool(jobs)

    async def _send(self, job: Any) -> None:
        change = push_queue.change_of(job)
        try:
            report = await deliver(self.db, self.server_secret, self.client, change,
                                   self.defaults)
            self.reports = [*self.reports[-9:], report]
            patched = await deliver_google(self.db, self.server_secret, self.google_api,
                                           change, base_url=self.base_url,
                                           defaults=self.defaults)
            self.google_reports = [*self.google_reports[-9:], patched]
        except Exception:
            log.exception("wallet push for tenant %s failed", job.tenant_id)
            await self._retry(job)
            return
        for failed in report.failed:
            log.warning("APNs refused a push (tenant %s): %s %s", job.tenant_id,
                        failed.status, failed.reason)
        for failed in patched.failed:
            log.warning("Google Wallet refused a patch of %s: %s %s", failed.push_token,
                        failed.status, failed.reason)
        unreachable = [f for f in (*report.failed, *patched.failed)
                       if f.status is None or f.status >= 500 or f.status == 429]
        if unreachable:
            await self._retry(job)
        else:
            await push_queue.done(self.db, job)

    async def _retry(self, job: Any) -> None:
        if not await push_queue.later(self.db, job):
            log.warning("wallet push %s of tenant %s given up after %d attempts", job.id,
                        job.tenant_id, job.attempts)

    async def idle(self, tenant_id: str | None = None) -> None:
        """Until every committed change (of one tenant, or all) has been pushed (tests)."""
        while await push_queue.pending(self.db, tenant_id):
            self._wake.set()
            await asyncio.sleep(0.05)


WALLET_PUSH = web.AppKey("wallet_push", WalletPushWorker)


def make_wallet_worker(settings: Any, db: Database, outbound: Any, server_secret: bytes,
                       defaults: InstanceDefaults | None = None) -> WalletPushWorker:
    client = ApnsClient(settings.apns_url, allow_private=settings.webhook_allow_private,
                        ca_file=str(settings.apns_ca_file) if settings.apns_ca_file else None)
    return WalletPushWorker(
        db, server_secret, client, WalletApi(outbound, settings.google_wallet_api_url),
        base_url=settings.public_base_url,
        poll_seconds=settings.webhook_poll_seconds, defaults=defaults)


async def wallet_push_context(app: web.Application) -> AsyncIterator[None]:
    """The Google Wallet client of the process, and its push worker where the process
    delivers the outbox (PASSGATE_WEBHOOK_WORKER; otherwise ``passgate worker`` pushes)."""
    settings, state = app[SETTINGS], app[STATE]
    state.google_api = WalletApi(state.outbound, settings.google_wallet_api_url)
    if not settings.webhook_worker:
        yield
        return
    worker = app[WALLET_PUSH] = make_wallet_worker(settings, state.db, state.outbound,
                                                   state.secret_key, state.wallet_defaults)

    def changed(change: Any = None) -> None:  # dispatch the event now, then push it
        if WORKER in app:
            app[WORKER].wake()
        worker.changed(change)

    state.wallet_changed = changed
    try:
        async with running(worker.run()):
            yield  # jobs left when the process stops wait for the next worker
    finally:
        await worker.client.close()
