"""Checks that bytes are a whole, well-formed PNG before they go into a wallet pass.

Wallet silently drops a pass whose images it cannot read, so an upload is checked here:
the signature, every chunk's CRC, a valid IHDR, IDAT data that inflates to exactly the
size the header promises (bounded, so a compression bomb costs nothing) and IEND last.
Only the standard library: no image library decodes pixels on the server.
"""

import struct
import zlib
from dataclasses import dataclass

from ..errors import BadInput

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# colour type -> (channels, allowed bit depths), from the PNG specification.
COLOUR_TYPES = {0: (1, (1, 2, 4, 8, 16)), 2: (3, (8, 16)), 3: (1, (1, 2, 4, 8)),
                4: (2, (8, 16)), 6: (4, (8, 16))}
# Adam7 passes: (x start, y start, x step, y step).
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))


@dataclass(frozen=True, slots=True)
class PngInfo:
    width: int
    height: int


def _scanlines(width: int, height: int, bits_per_pixel: int, interlaced: bool
               ) -> list[tuple[int, int]]:
    """(rows, bytes per row without the filter byte) of each pass of the image."""
    if not interlaced:
        return [(height, (width * bits_per_pixel + 7) // 8)]
    out = []
    for x0, y0, dx, dy in ADAM7:
        w, h = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if w > 0 and h > 0:
            out.append((h, (w * bits_per_pixel + 7) // 8))
    return out


def check_png(data: bytes, field: str, *, max_width: int, max_height: int) -> PngInfo:
    """The image's size, or BadInput naming what is wrong with it. Dimensions are checked
    from the header before anything is inflated."""
    if not data.startswith(SIGNATURE):
        raise BadInput(f"{field} is not a PNG image (wallet images must be PNG)", field=field)
    pos, chunks = len(SIGNATURE), []
    while pos < len(data):
        if pos + 12 > len(data):
            raise BadInput(f"{field} is a truncated PNG", field=field)
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4:pos + 8]
        end = pos + 8 + length
        if end + 4 > len(data):
            raise BadInput(f"{field} is a truncated PNG", field=field)
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(data[pos + 4:end]) & 0xFFFFFFFF != crc:
            raise BadInput(f"{field} is a damaged PNG (bad checksum in its "
                           f"{kind.decode('latin-1')!r} chunk)", field=field)
        chunks.append((kind, data[pos + 8:end]))
        pos = end + 4
        if kind == b"IEND":
            break
    if pos != len(data) or not chunks or chunks[-1][0] != b"IEND":
        raise BadInput(f"{field} is a truncated PNG (no IEND at its end)", field=field)
    if chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise BadInput(f"{field} is a damaged PNG (no IHDR header)", field=field)
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1])
    if width == 0 or height == 0:
        raise BadInput(f"{field} has no pixels", field=field)
    if width > max_width or height > max_height:
        raise BadInput(f"{field} is {width}x{height} pixels; at most {max_width}x{max_height} "
                       "is allowed", field=field)
    if (colour not in COLOUR_TYPES or depth not in COLOUR_TYPES[colour][1] or compression
            or filtering or interlace not in (0, 1)):
        raise BadInput(f"{field} is a damaged PNG (invalid IHDR header)", field=field)
    if colour == 3 and not any(kind == b"PLTE" for kind, _ in chunks):
        raise BadInput(f"{field} is a damaged PNG (palette image without a palette)",
                       field=field)
    compressed = b"".join(body for kind, body in chunks if kind == b"IDAT")
    if not compressed:
        raise BadInput(f"{field} is a damaged PNG (no image data)", field=field)
    lines = _scanlines(width, height, COLOUR_TYPES[colour][0] * depth, interlace == 1)
    expected = sum(rows * (1 + size) for rows, size in lines)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, expected + 1)
    except zlib.error:
        raise BadInput(f"{field} is a damaged PNG (its image data does not inflate)",
                       field=field) from None
    if len(raw) != expected or not inflater.eof:
        raise BadInput(f"{field} is a damaged PNG (its image data does not match its "
                       f"{width}x{height} header)", field=field)
    offset = 0
    for rows, size in lines:
        for _ in range(rows):
            if raw[offset] > 4:
                raise BadInput(f"{field} is a damaged PNG (unknown row filter)", field=field)
            offset += 1 + size
    return PngInfo(width, height)
