"""Barcode images (PNG and SVG) of every format a template can choose, drawn by zxing-cpp.

zxing-cpp encodes the symbol into a module matrix (one pixel a module, no quiet zone); the
PNG (1-bit palette, exact colours) and the SVG (one path, runs of dark modules merged) are
written here so ``size`` (pixels a module) and ``margin`` (quiet zone in modules) mean the
same in both. Rendered images are kept in an LRU keyed by everything that shapes them, with
a strong ETag (a hash of the bytes), so a repeat request costs no drawing.
"""

import hashlib
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

import zxingcpp

from ..errors import BadInput

FORMATS: dict[str, zxingcpp.BarcodeFormat] = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
    "aztec": zxingcpp.BarcodeFormat.Aztec,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "code39": zxingcpp.BarcodeFormat.Code39,
    "code93": zxingcpp.BarcodeFormat.Code93,
    "ean8": zxingcpp.BarcodeFormat.EAN8,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "itf14": zxingcpp.BarcodeFormat.ITF14,
    "upca": zxingcpp.BarcodeFormat.UPCA,
    "upce": zxingcpp.BarcodeFormat.UPCE,
}
TEMPLATE_FORMATS = ("qr", "pdf417", "aztec", "code128")
LINEAR = frozenset({"code128", "code39", "code93", "ean8", "ean13", "itf14", "upca", "upce"})
LINEAR_HEIGHT = 50  # zxing's bar height, in modules, for one-dimensional codes
MAX_DATA = 2000
MAX_PIXELS = 4_000_000  # ~ 2000 x 2000: larger would stall the event loop


@dataclass(frozen=True, slots=True)
class Matrix:
    width: int
    height: int
    rows: tuple[bytes, ...]  # 1 = dark module

    @property
    def linear(self) -> bool:
        return all(row == self.rows[0] for row in self.rows)


def encode(fmt: str, data: str) -> Matrix:
    """The module matrix of ``data`` as a ``fmt`` barcode, or a 400 naming the problem."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown barcode format {fmt!r}; formats: {', '.join(FORMATS)}",
                       field="format")
    if not data or len(data) > MAX_DATA:
        raise BadInput(f"data must be 1 to {MAX_DATA} characters", field="data")
    try:
        symbol = zxingcpp.create_barcode(data, FORMATS[fmt])
    except (ValueError, RuntimeError) as e:
        raise BadInput(f"{data[:40]!r} cannot be a {fmt} barcode: {e}", field="data") from None
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    raw = memoryview(image).tobytes()
    rows = tuple(bytes(1 if raw[y * width + x] < 128 else 0 for x in range(width))
                 for y in range(height))
    return Matrix(width, height, rows)


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png(pixel_rows: list[bytes], width: int, fg: bytes, bg: bytes) -> bytes:
    """``pixel_rows``: one byte a pixel, 1 = foreground; written as a 1-bit palette PNG."""
    raw = bytearray()
    packed_cache: dict[bytes, bytes] = {}
    for row in pixel_rows:
        packed = packed_cache.get(row)
        if packed is None:
            bits = (row + b"\x00" * (-len(row) % 8)).translate(_DIGITS)
            packed = packed_cache[row] = int(bits, 2).to_bytes(len(bits) // 8, "big")
        raw += b"\x00" + packed
    header = struct.pack(">IIBBBBB", width, len(pixel_rows), 1, 3, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"PLTE", bg + fg)
            + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b""))


def _check_size(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise BadInput(f"the image would be {width}x{height} pixels; ask for a smaller size",
                       field="size")


def png(matrix: Matrix, *, scale: int, margin: int, fg: bytes, bg: bytes) -> bytes:
    """``scale`` pixels a module, ``margin`` modules of quiet zone on every side."""
    width, height = (matrix.width + 2 * margin) * scale, (matrix.height + 2 * margin) * scale
    _check_size(width, height)
    blank = b"\x00" * width
    pad = b"\x00" * (margin * scale)
    rows = [blank] * (margin * scale)
    for row in matrix.rows:
        line = pad + bytes(b for b in row for _ in range(scale)) + pad
        rows.extend([line] * scale)
    rows.extend([blank] * (margin * scale))
    return _png(rows, width, fg, bg)


def png_fitted(matrix: Matrix, *, width: int, height: int, margin: int, fg: bytes, bg: bytes
               ) -> bytes:
    """Exactly ``width`` x ``height`` pixels (raised to one pixel a module); modules map to
    pixels by floor, so edges may differ by one pixel, which scanners ignore."""
    cols, lines = matrix.width + 2 * margin, matrix.height + 2 * margin
    width, height = max(width, cols), max(height, lines)
    _check_size(width, height)
    padded = [b"\x00" * cols] * margin + [
        b"\x00" * margin + row + b"\x00" * margin for row in matrix.rows] + [
        b"\x00" * cols] * margin
    columns = [x * cols // width for x in range(width)]
    rows = [bytes(padded[y * lines // height][c] for c in columns) for y in range(height)]
    return _png(rows, width, fg, bg)


def svg(matrix: Matrix, *, scale: int, margin: int, fg: bytes, bg: bytes) -> str:
    """One path in module units; identical neighbouring rows share their rectangles."""
    width, height = matrix.width + 2 * margin, matrix.height + 2 * margin
    _check_size(width * scale, height * scale)
    parts: list[str] = []
    y = 0
    while y < matrix.height:
        row, span = matrix.rows[y], 1
        while y + span < matrix.height and matrix.rows[y + span] == row:
            span += 1
        x = 0
        while x < matrix.width:
            if row[x]:
                start = x
                while x < matrix.width and row[x]:
                    x += 1
                parts.append(f"M{start + margin} {y + margin}h{x - start}v{span}h-{x - start}z")
            else:
                x += 1
        y += span
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * scale}" '
            f'height="{height * scale}" viewBox="0 0 {width} {height}" '
            f'shape-rendering="crispEdges"><rect width="{width}" height="{height}" '
            f'fill="#{bg.hex()}"/><path fill="#{fg.hex()}" d="{"".join(parts)}"/></svg>')


def colour(value: str | None, field: str, default: bytes) -> bytes:
    """``RRGGBB``, with or without a leading ``#``."""
    if value is None:
        return default
    text = value.removeprefix("#")
    try:
        if len(text) == 6:
            return bytes.fromhex(text)
    except ValueError:
        pass
    raise BadInput(f"{field} must be a hex colour such as 000000", field=field)


@dataclass(frozen=True, slots=True)
class Image:
    body: bytes
    content_type: str
    etag: str  # strong: a hash of the bytes


class BarcodeCache:
    """The latest images by what shapes them; shared by every request of the process."""

    def __init__(self, size: int = 1024) -> None:
        self.size = self._size = size
        self._items: OrderedDict[tuple[object, ...], Image] = OrderedDict()
        self._lock = Lock()
        self.renders = 0  # how many images were drawn (tests and the bench read it)

    def image(self, fmt: str, data: str, *, kind: str, scale: int = 4, margin: int = 4,
              fg: bytes = b"\x00\x00\x00", bg: bytes = b"\xff\xff\xff",
              width: int | None = None, height: int | None = None) -> Image:
        key = (fmt, data, kind, scale, margin, fg, bg, width, height)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        matrix = encode(fmt, data)
        if kind == "svg":
            body = svg(matrix, scale=scale, margin=margin, fg=fg, bg=bg).encode()
            content_type = "image/svg+xml"
        elif width is not None:
            if height is None:  # the code's own proportions
                height = max(1, round(width * (matrix.height + 2 * margin)
                                      / (matrix.width + 2 * margin)))
            body = png_fitted(matrix, width=width, height=height, margin=margin, fg=fg, bg=bg)
            content_type = "image/png"
        else:
            body = png(matrix, scale=scale, margin=margin, fg=fg, bg=bg)
            content_type = "image/png"
        image = Image(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        with self._lock:
            self.renders += 1
            self._items[key] = image
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return image


CACHE = BarcodeCache()  # one per process: rendering is pure, so sharing it is safe
