"""Image answers shared by the dialects' barcode routes: strong ETag, 304 on a match."""

from resolvers.wallet.barcodes import Image

from .engine import Answer


def image_answer(image: Image, if_none_match: str | None, cache_control: str) -> Answer:
    if if_none_match and image.etag in [t.strip() for t in if_none_match.split(",")]:
        return Answer(None, status=304, headers={"Cache-Control": cache_control,
                                                 "ETag": image.etag})
    # The 200 of an image is the same every time: made once (nothing downstream changes an
    # Answer or its headers; the response copies them).
    key = (image, cache_control)
    answer = _ANSWERS.get(key)
    if answer is None:
        if len(_ANSWERS) >= MAX_ANSWERS:
            _ANSWERS.clear()
        answer = _ANSWERS[key] = Answer(
            image.body, headers={"Cache-Control": cache_control, "ETag": image.etag},
            content_type=image.content_type)
    return answer


MAX_ANSWERS = 1024
_ANSWERS: dict[tuple[Image, str], Answer] = {}
