"""Background loops that live as long as the application (cleanup_ctx resources)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def running(loop: Coroutine[Any, Any, Any]) -> AsyncIterator[asyncio.Task[Any]]:
    """Run ``loop`` (which stops only when cancelled) as a task for the block; on the way
    out cancel it and wait until it has stopped, so nothing it does outlives the app."""
    task = asyncio.create_task(loop)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def poll_forever(turn: Callable[[], Awaitable[bool]], wake: asyncio.Event,
                       poll_seconds: Callable[[], float], log: logging.Logger,
                       what: str) -> None:
    """A worker's loop: run ``turn`` again at once while it finds work (it answers True),
    else wait ``poll_seconds()`` or until ``wake`` is set. A failed turn is logged and the
    loop goes on; only cancellation stops it."""
    while True:
        try:
            busy = await turn()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s turn failed; trying again", what)
            busy = False
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_seconds())
            wake.clear()
