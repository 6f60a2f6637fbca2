"""Wallet images uploaded for a template: icon, logo, strip and thumbnail at 1x, 2x and 3x.

Each upload is checked (``png.check_png``: a whole PNG within Apple's size for that image
and scale, at most ``MAX_BYTES``) and stored per template. A template with images has a
custom set and its passes carry that set instead of passgate's own images; Wallet needs an
icon in every pass, so a custom set always holds ``icon.png``: it is the first image a set
takes and the last it gives up. Storing or removing an image is a new version of the
template's passes (devices are told), in the same transaction.
"""

import base64
import binascii
import hashlib
import re
from collections import OrderedDict
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from .. import templates as template_data
from ..db import Database
from ..errors import BadInput, Conflict, NotFound
from ..loaders import fetch_owned
from ..models import template_images
from ..timeutil import utcnow
from .png import check_png

# Largest size of each image at 1x, in pixels (Apple's pass design sizes; a strip is
# 375x98 on event tickets, 375x123 or 375x144 on other styles).
SIZES = {"icon": (38, 38), "logo": (160, 50), "strip": (375, 144), "thumbnail": (90, 90)}
SCALES = (1, 2, 3)
MAX_BYTES = 262_144
ICON = "icon.png"
_NAME = re.compile(r"^(icon|logo|strip|thumbnail)(?:@([23])x)?(?:\.png)?$")


def file_name(name: str, scale: int) -> str:
    if name not in SIZES:
        raise BadInput(f"image must be one of {', '.join(SIZES)}", field="image")
    if scale not in SCALES:
        raise BadInput("scale must be 1, 2 or 3", field="scale")
    return f"{name}.png" if scale == 1 else f"{name}@{scale}x.png"


def parse_file_name(text: str) -> tuple[str, int]:
    """``icon``, ``logo@2x`` or ``strip@3x.png`` as (image, scale)."""
    found = _NAME.match(text)
    if found is None:
        raise BadInput(f"{text!r} is not a wallet image: icon, logo, strip or thumbnail, "
                       "optionally @2x or @3x (e.g. logo@2x)", field="image")
    return found.group(1), int(found.group(2) or 1)


def decode(data: str) -> bytes:
    """The upload's bytes from base64, refusing an oversized one before decoding it."""
    if not isinstance(data, str) or not data.strip():
        raise BadInput("data is required: the PNG file, base64", field="data")
    if len(data) > (MAX_BYTES + 2) // 3 * 4 + 4:
        raise BadInput(f"the image is larger than {MAX_BYTES // 1024} KiB", field="data")
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("data must be the PNG file in base64", field="data") from None
    if len(raw) > MAX_BYTES:
        raise BadInput(f"the image is larger than {MAX_BYTES // 1024} KiB", field="data")
    return raw


async def store(db: Database, tenant_id: str, template_id: str, name: str, scale: int,
                content: bytes) -> Any:
    """Check and store (or replace) one image; the template row as it now is."""
    target = file_name(name, scale)
    if len(content) > MAX_BYTES:
        raise BadInput(f"the image is larger than {MAX_BYTES // 1024} KiB", field="data")
    width, height = SIZES[name]
    info = check_png(content, target, max_width=width * scale, max_height=height * scale)
    async with db.write() as conn:
        await fetch_owned(conn, "template", tenant_id, template_id, for_update=True)
        names = await _names(conn, template_id)
        if target != ICON and ICON not in names:
            raise Conflict(f"upload the icon (icon.png) before {target}: Wallet needs an icon "
                           "in every pass, so a template's own image set starts with it")
        values = {"content": content, "sha1": hashlib.sha1(content).hexdigest(),
                  "width": info.width, "height": info.height, "created_at": utcnow()}
        where = (template_images.c.template_id == template_id,
                 template_images.c.file_name == target)
        if target in names:
            await conn.execute(update(template_images).where(*where).values(**values))
        else:
            await conn.execute(insert(template_images).values(
                template_id=template_id, file_name=target, tenant_id=tenant_id, **values))
        return await template_data.new_wallet_version(conn, db, tenant_id, template_id)


async def remove(db: Database, tenant_id: str, template_id: str, name: str, scale: int
                 ) -> Any:
    target = file_name(name, scale)
    async with db.write() as conn:
        await fetch_owned(conn, "template", tenant_id, template_id, for_update=True)
        names = await _names(conn, template_id)
        if target not in names:
            raise NotFound(f"the template has no {target}")
        if target == ICON and len(names) > 1:
            raise Conflict("remove the template's other images before its icon: Wallet needs "
                           "an icon in every pass")
        await conn.execute(delete(template_images).where(
            template_images.c.template_id == template_id,
            template_images.c.file_name == target))
        return await template_data.new_wallet_version(conn, db, tenant_id, template_id)


async def _names(conn: Any, template_id: str) -> set[str]:
    return set((await conn.execute(select(template_images.c.file_name).where(
        template_images.c.template_id == template_id))).scalars())


async def described(db: Database, tenant_id: str, template_ids: list[str]) -> list[Any]:
    """What may be listed of the images (no bytes), by template and name."""
    c = template_images.c
    async with db.read() as conn:
        return list((await conn.execute(
            select(c.template_id, c.file_name, c.sha1, c.width, c.height,
                   func.length(c.content).label("size"))
            .where(c.tenant_id == tenant_id, c.template_id.in_(template_ids))
            .order_by(c.template_id, c.file_name))).all())


async def public_image(db: Database, template_id: str, name: str) -> Any | None:
    """One image's bytes and hash (images are public: Google Wallet fetches logos by URL)."""
    c = template_images.c
    async with db.read() as conn:
        return (await conn.execute(select(c.content, c.sha1).where(
            c.template_id == template_id, c.file_name == name))).first()


DEFAULT_LOGO = "/wallet/images/logo@2x.png"  # passgate's own (gateway/wallet.py serves it)


async def logo_path(db: Database, template: Any | None) -> str:
    """The public path of the template's uploaded logo at its sharpest scale, else
    passgate's. It names the template's version, so a new logo is a new URL to every cache
    (Google Wallet fetches and keeps images by URL)."""
    images = await image_set(db, template)
    for name in ("logo@3x.png", "logo@2x.png", "logo.png"):
        if name in images:
            assert template is not None
            return (f"/wallet/templates/{template.id}/{name}"
                    f"?v={int(template.updated_at.timestamp())}")
    return DEFAULT_LOGO


# Loaded sets by template version, so a repeat download reads no image from the database.
_SETS: "OrderedDict[tuple[str, Any], dict[str, bytes]]" = OrderedDict()
MAX_CACHED_SETS = 256


async def image_set(db: Database, template: Any | None) -> dict[str, bytes]:
    """The template's images by file name ({} without a custom set). Any change of them
    moves the template's ``updated_at``, which keys the cache."""
    if template is None:
        return {}
    key = (template.id, template.updated_at)
    found = _SETS.get(key)
    if found is not None:
        _SETS.move_to_end(key)
        return found
    c = template_images.c
    async with db.read() as conn:
        rows = (await conn.execute(select(c.file_name, c.content)
                                   .where(c.template_id == template.id))).all()
    found = _SETS[key] = {row.file_name: bytes(row.content) for row in rows}
    if len(_SETS) > MAX_CACHED_SETS:
        _SETS.popitem(last=False)
    return found
