"""Image answers shared by the dialects' barcode routes: strong ETag, 304 on a match."""

from resolvers.wallet.barcodes import Image

from .engine import Answer


def image_answer(image: Image, if_none_match: str | None, cache_control: str) -> Answer:
    headers = {"Cache-Control": cache_control, "ETag": image.etag}
    if if_none_match and image.etag in [t.strip() for t in if_none_match.split(",")]:
        return Answer(None, status=304, headers=headers)
    return Answer(image.body, headers=headers, content_type=image.content_type)
