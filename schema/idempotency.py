"""``idempotencyKey`` on the create mutations (Stripe's semantics, as on REST's
``Idempotency-Key``): a retry with the same key and the same input returns what the first
call created instead of creating it again; the same key with another input, or while the
first call still runs, is a CONFLICT.

What is kept is which objects the call made (and, sealed, a secret it showed once); a replay
loads them again, so it shows them as they are now.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import strawberry
from strawberry import UNSET
from strawberry.types import Info

from resolvers import idempotency, secretbox
from resolvers.errors import Conflict

from .inputs import provided

P = TypeVar("P")
Saved = dict[str, Any]
SEALED_FOR = "idempotency-replay"
DESCRIPTION = ("A retry with the same key and input within 24 hours returns what the first call "
               "created instead of creating it again; another input under the same key, or a "
               "retry while the first call runs, is a CONFLICT.")


def key_field() -> Any:
    return strawberry.field(default=UNSET, description=DESCRIPTION)


async def once(info: Info, name: str, input: Any,
               run: Callable[[], Awaitable[tuple[P, Saved]]],
               replay: Callable[[Saved], Awaitable[P]]) -> P:
    """``run`` does the work and says what to keep; ``replay`` rebuilds the payload from it.
    Call after the scope check, so a replay needs the same rights as the call."""
    key = getattr(input, "idempotency_key", UNSET)
    if key is UNSET or key is None:
        return (await run())[0]
    tenant = info.context.principal.tenant_id
    key = idempotency.check_key(key, "idempotencyKey")
    values = orjson.dumps(provided(input, skip=("idempotency_key",)),
                          option=orjson.OPT_SORT_KEYS, default=str)
    db = info.context.db
    stored = await idempotency.claim(db, tenant, key,
                                     idempotency.fingerprint("graphql", name, values),
                                     f"mutation {name}")
    if stored is not None:
        return await replay(orjson.loads(stored.body))
    try:
        payload, saved = await run()
    except BaseException:
        await asyncio.shield(idempotency.release(db, tenant, key))
        raise
    await asyncio.shield(idempotency.complete(db, tenant, key, idempotency.Stored(
        200, "application/json", {}, orjson.dumps(saved))))
    return payload


async def reload(info: Info, kind: str, ids: list[str]) -> list[Any]:
    """The rows a replayed call made, as they are now."""
    rows = await info.context.loaders[kind].load_many(ids)
    if any(row is None for row in rows):
        raise Conflict(f"the {kind} this idempotencyKey created has been deleted since; "
                       "use a new key to create another")
    return rows


def seal(info: Info, secret: str) -> str:
    """A secret shown once, kept sealed so a replay can show it again."""
    return secretbox.seal(info.context.app.secret_key, SEALED_FOR, secret)


def unseal(info: Info, sealed: str) -> str:
    secret = secretbox.unseal(info.context.app.secret_key, SEALED_FOR, sealed)
    if secret is None:
        raise Conflict("this idempotencyKey's answer was sealed under another server secret")
    return secret
