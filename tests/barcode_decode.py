"""Reading our barcode images back with zxing-cpp: PNG scanlines, and SVG paths rasterised
(the SVG is one path of axis-aligned rectangles in module units)."""

import re
import struct
import zlib

import zxingcpp


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and one grey byte a pixel of a 1-bit palette PNG (as we write them)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, chunks = 8, b"", {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        idat += body if kind == b"IDAT" else b""
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour_type) == (1, 3)
    palette = chunks[b"PLTE"]
    grey = [sum(palette[i * 3:i * 3 + 3]) // 3 for i in range(2)]
    raw, stride = zlib.decompress(idat), 1 + (width + 7) // 8
    out = bytearray()
    for y in range(height):
        line = raw[y * stride + 1:(y + 1) * stride]
        out += bytes(grey[(line[x // 8] >> (7 - x % 8)) & 1] for x in range(width))
    return width, height, bytes(out)


def svg_pixels(svg: str, scale: int = 3) -> tuple[int, int, bytes]:
    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    w, h = width * scale, height * scale
    pixels = bytearray([255]) * (w * h)
    path = re.search(r'<path fill="#[0-9a-f]{6}" d="([^"]*)"', svg).group(1)
    for x, y, run, span in re.findall(r"M(\d+) (\d+)h(\d+)v(\d+)h-\d+z", path):
        x0, y0, x1, y1 = int(x), int(y), int(x) + int(run), int(y) + int(span)
        for yy in range(y0 * scale, y1 * scale):
            pixels[yy * w + x0 * scale: yy * w + x1 * scale] = b"\x00" * ((x1 - x0) * scale)
    return w, h, bytes(pixels)


def decode(width: int, height: int, pixels: bytes) -> list[tuple[str, str]]:
    """(format name, text) of every barcode zxing-cpp finds."""
    image = memoryview(pixels).cast("B", (height, width))
    return [(str(r.format), r.text) for r in zxingcpp.read_barcodes(image)]


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def screenshot_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and grey bytes of an 8-bit RGB or RGBA PNG (a browser screenshot)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    bpp = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    previous = bytearray(stride)
    grey = bytearray()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]) & 0xFF
        grey += bytes((line[x * bpp] + line[x * bpp + 1] + line[x * bpp + 2]) // 3
                      for x in range(width))
        previous = line
    return width, height, bytes(grey)
