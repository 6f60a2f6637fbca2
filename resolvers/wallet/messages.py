"""A message to the holders of a pass (PassQR's ``POST /passes/{id}/messages``).

The message is kept on the pass (``wallet_message``) and makes a new wallet version in the
same transaction, with its ``pass.updated`` event: the push worker then tells the Apple
devices (the pass shows it in a field whose ``changeMessage`` is ``%@``, so the lock screen
shows the text) and adds it to the Google Wallet object with ``addMessage``.
"""

from typing import Any

from sqlalchemy import update

from .. import checks, events
from ..db import Database
from ..errors import Conflict
from ..loaders import fetch_owned
from ..models import passes
from ..timeutil import utcnow

MAX_TITLE = 100
MAX_MESSAGE = 500


async def send_message(db: Database, tenant_id: str, pass_id: str, title: Any, message: Any
                       ) -> Any:
    """The pass row as the message left it."""
    title = checks.text(title, "title", MAX_TITLE, required=True)
    body = checks.text(message, "message", MAX_MESSAGE, required=True)
    async with db.write() as conn:
        current = await fetch_owned(conn, "pass", tenant_id, pass_id, for_update=True)
        if current.state == "deleted":
            raise Conflict("the pass is deleted: its wallets show it voided")
        now = utcnow()
        row = (await conn.execute(
            update(passes).where(passes.c.id == current.id)
            .values(wallet_message={"title": title, "message": body,
                                    "sent_at": now.isoformat()},
                    wallet_updated_at=now, updated_at=now)
            .returning(passes))).one()
        await events.emit(conn, db, tenant_id, "pass.updated", pass_=row)
        return row


def message_of(row: Any) -> dict[str, Any] | None:
    """The message to show, when the pass has one."""
    data = getattr(row, "wallet_message", None)
    return data if isinstance(data, dict) and data.get("message") else None
