"""Background loops that live as long as the application (cleanup_ctx resources)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
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
