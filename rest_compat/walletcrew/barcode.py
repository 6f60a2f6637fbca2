"""``GET /barcode/{type}/{data}``: every barcode type The Wallet Crew lists, drawn by the
shared renderer (``resolvers.wallet.barcodes``, zxing-cpp) as a PNG of exactly the asked
width (``h`` high for linear codes; 2-D codes keep their proportions), with a strong ETag;
a repeat is served from its cache.
"""

from typing import Any

from resolvers.errors import BadInput
from resolvers.wallet import barcodes

from ..engine import Answer
from ..errors import RestError
from ..images import image_answer

QUIET_ZONE = 4  # modules of background around the code, as ISO/IEC 18004 asks
MAX_WIDTH = 2048
CACHE_100_DAYS = "public, max-age=8640000, immutable"
# The Wallet Crew's type names (its scan enum's spelling) -> ours.
TYPES = {"qrcode": "qr", "pdf417": "pdf417", "aztec": "aztec", "code128": "code128",
         "code39": "code39", "code93": "code93", "ean8": "ean8", "ean13": "ean13",
         "itf14": "itf14", "upca": "upca", "upce": "upce"}


def barcode_png(kind: str, data: str, query: dict[str, Any], if_none_match: str | None
                ) -> Answer:
    fmt = TYPES.get(kind.lower())
    if fmt is None:
        raise RestError.bad(f"unknown barcode type {kind!r}; types: {', '.join(TYPES)}", "type")
    try:
        image = barcodes.CACHE.image(
            fmt, data, kind="png", margin=QUIET_ZONE, width=query.get("w", 300),
            height=query.get("h") if fmt in barcodes.LINEAR else None,
            fg=barcodes.colour(query.get("fg"), "fg", b"\x00\x00\x00"),
            bg=barcodes.colour(query.get("bg"), "bg", b"\xff\xff\xff"))
    except BadInput as e:
        raise RestError.bad(e.message, e.field) from None
    return image_answer(image, if_none_match, CACHE_100_DAYS)
