"""Draws passgate's default wallet images (a gate glyph) as PNGs with the standard library.

Run once when the design changes: ``python resolvers/wallet/images/generate.py``; the PNGs are
committed, so serving a pass never draws anything.
"""

import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SLATE = (31, 41, 55)
WHITE = (255, 255, 255)


def _png(width: int, height: int, pixels: list[tuple[int, int, int, int]]) -> bytes:
    raw = b"".join(
        b"\x00" + b"".join(struct.pack("4B", *pixels[y * width + x]) for x in range(width))
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _glyph(u: float, v: float) -> bool:
    """A gate: two posts and an arch, in a unit square."""
    posts = (0.22 <= u <= 0.34 or 0.66 <= u <= 0.78) and 0.35 <= v <= 0.85
    r = math.hypot(u - 0.5, v - 0.42)
    arch = v <= 0.42 and 0.16 <= r <= 0.28
    bar = 0.34 <= u <= 0.66 and 0.58 <= v <= 0.66
    return posts or arch or bar


def _draw(width: int, height: int, background: bool, glyph_box: tuple[int, int, int]
          ) -> bytes:
    """``glyph_box`` = (x, y, size) of the glyph; 4x4 supersampling for smooth edges."""
    gx, gy, gs = glyph_box
    out = []
    for y in range(height):
        for x in range(width):
            hits = sum(_glyph((x + (i + .5) / 4 - gx) / gs, (y + (j + .5) / 4 - gy) / gs)
                       for i in range(4) for j in range(4)) / 16
            if background:
                out.append((*(round(b + (w - b) * hits) for b, w in zip(SLATE, WHITE,
                                                                     strict=True)), 255))
            else:
                out.append((*SLATE, round(255 * hits)))
    return _png(width, height, out)


def main() -> None:
    for scale in (1, 2, 3):
        size = 29 * scale
        (HERE / f"icon{'' if scale == 1 else f'@{scale}x'}.png").write_bytes(
            _draw(size, size, True, (0, 0, size)))
    for scale in (1, 2):
        w, h = 160 * scale, 50 * scale
        (HERE / f"logo{'' if scale == 1 else f'@{scale}x'}.png").write_bytes(
            _draw(w, h, False, (0, 0, h)))


if __name__ == "__main__":
    main()
