"""The background worker that pushes wallet updates after changes commit.

Mutations call ``AppState.wallet_changed(change)`` once their transaction has committed; it
only enqueues, so no request ever waits on APNs. The queue is in process: a crash between
commit and push loses that push (the device still gets the change at its next refresh).
This is the seam where the durable event outbox takes over: its consumer turns pass and
template events into the same ``WalletChange`` and calls ``deliver``.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from resolvers.db import Database
from resolvers.wallet.apns import ApnsClient
from resolvers.wallet.google import WalletApi
from resolvers.wallet.push import PushReport, WalletChange, deliver, deliver_google

from .background import running
from .keys import SETTINGS, STATE

log = logging.getLogger("passgate.wallet.push")


class WalletPushWorker:
    def __init__(self, db: Database, server_secret: bytes, client: ApnsClient,
                 google_api: WalletApi, logo_url: str, max_queued: int = 10_000) -> None:
        self.db = db
        self.server_secret = server_secret
        self.client = client
        self.google_api = google_api
        self.logo_url = logo_url
        self.queue: asyncio.Queue[WalletChange] = asyncio.Queue(max_queued)
        self.reports: list[PushReport] = []  # the latest few, for health checks and tests
        self.google_reports: list[PushReport] = []
        self._idle = asyncio.Event()
        self._idle.set()

    def changed(self, change: WalletChange) -> None:
        """Called after commit; never blocks the request."""
        try:
            self.queue.put_nowait(change)
            self._idle.clear()
        except asyncio.QueueFull:
            log.warning("wallet push queue full: a change of tenant %s is not pushed",
                        change.tenant_id)

    async def run(self) -> None:
        while True:
            change = await self.queue.get()
            try:
                report = await deliver(self.db, self.server_secret, self.client, change)
                self.reports = [*self.reports[-9:], report]
                for failed in report.failed:
                    log.warning("APNs refused a push (tenant %s): %s %s", change.tenant_id,
                                failed.status, failed.reason)
                patched = await deliver_google(self.db, self.server_secret, self.google_api,
                                               change, logo_url=self.logo_url)
                self.google_reports = [*self.google_reports[-9:], patched]
                for failed in patched.failed:
                    log.warning("Google Wallet refused a patch of %s: %s %s",
                                failed.push_token, failed.status, failed.reason)
            except Exception:
                log.exception("wallet push for tenant %s failed", change.tenant_id)
            finally:
                self.queue.task_done()
                if self.queue.empty():
                    self._idle.set()

    async def idle(self) -> None:
        """Until every queued change has been delivered (tests, shutdown)."""
        await self._idle.wait()


WALLET_PUSH = web.AppKey("wallet_push", WalletPushWorker)


async def wallet_push_context(app: web.Application) -> AsyncIterator[None]:
    settings, state = app[SETTINGS], app[STATE]
    client = ApnsClient(settings.apns_url, allow_private=settings.webhook_allow_private,
                        ca_file=str(settings.apns_ca_file) if settings.apns_ca_file else None)
    state.google_api = WalletApi(state.outbound, settings.google_wallet_api_url)
    worker = app[WALLET_PUSH] = WalletPushWorker(
        state.db, state.secret_key, client, state.google_api,
        logo_url=f"{settings.public_base_url}/wallet/images/logo@2x.png")
    state.wallet_changed = worker.changed
    try:
        async with running(worker.run()):
            try:
                yield
            finally:  # pushes already queued go out before the loop stops
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(worker.idle(), 5)
    finally:
        await client.close()
