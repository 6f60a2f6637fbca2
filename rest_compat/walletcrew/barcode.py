"""QR codes as PNG for ``GET /barcode/qrcode/{data}``, without an imaging library.

``qrcode`` gives the module matrix; a two-colour palette PNG (1 bit a pixel) is written here
with ``zlib``, so the colours are exact and no Pillow or pypng is needed. The image is exactly
``width`` pixels square: modules map to pixels by floor(x · modules / width), so module edges
may differ by one pixel, which scanners ignore.
"""

import struct
import zlib

import qrcode
from qrcode.exceptions import DataOverflowError

from ..errors import RestError

QUIET_ZONE = 4  # modules of background around the code, as ISO/IEC 18004 asks
MAX_WIDTH = 2048  # ~50 ms to draw; larger would stall the event loop


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def colour(value: str, name: str) -> bytes:
    """``RRGGBB`` (The Wallet Crew writes it without ``#``; a leading ``#`` is tolerated)."""
    text = value.removeprefix("#")
    if len(text) != 6:
        raise RestError.bad(f"{name} must be a hex colour such as 000000", name)
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise RestError.bad(f"{name} must be a hex colour such as 000000", name) from None


def qr_png(data: str, *, width: int, fg: bytes, bg: bytes) -> bytes:
    """A QR code of ``data`` with a quiet zone, ``width`` pixels square (at least one pixel
    a module: a smaller width is raised to that)."""
    code = qrcode.QRCode(border=QUIET_ZONE)
    code.add_data(data)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):  # past version 40 qrcode raises ValueError
        raise RestError.bad("data is too long for a QR code", "data") from None
    matrix: list[list[bool]] = code.get_matrix()
    modules = len(matrix)
    width = max(width, modules)
    columns = [x * modules // width for x in range(width)]
    packed_rows: dict[int, bytes] = {}
    raw = bytearray()
    for y in range(width):
        row_index = y * modules // width
        packed = packed_rows.get(row_index)
        if packed is None:
            row = matrix[row_index]
            bits = "".join("1" if row[c] else "0" for c in columns)
            bits += "0" * (-len(bits) % 8)
            packed = packed_rows[row_index] = int(bits, 2).to_bytes(len(bits) // 8, "big")
        raw += b"\x00" + packed  # filter type 0 (none) for each scanline
    header = struct.pack(">IIBBBBB", width, width, 1, 3, 0, 0, 0)  # 1-bit palette
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"PLTE", bg + fg)
            + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b""))
