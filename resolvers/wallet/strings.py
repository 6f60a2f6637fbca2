"""Template localisations: ``{"fr": {"SEAT": "Place"}}`` becomes ``fr.lproj/pass.strings``.

Wallet replaces each label or value of ``pass.json`` that is a key of the device language's
``pass.strings`` with its translation. The file is an Apple strings file: ``"key" =
"value";`` lines with C escapes, encoded UTF-16 with a byte-order mark, as Apple asks of
``pass.strings``.
"""

import re
from typing import Any

from .. import checks
from ..errors import BadInput

# Apple's .lproj names: a language (en, fil), optionally a script or region (zh-Hans, pt_BR).
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}$")
MAX_LANGUAGES = 40
MAX_TEXT = 1_000
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadInput(f"{where} must be a non-empty string", field="localizations")
    if len(value) > MAX_TEXT:
        raise BadInput(f"{where} is longer than {MAX_TEXT} characters", field="localizations")
    if _CONTROL.search(value):
        raise BadInput(f"{where} holds a control character", field="localizations")
    return value


def check(value: Any) -> dict[str, dict[str, str]] | None:
    """Localisations as given, checked; None or {} clears them."""
    if value is None:
        return None
    value = checks.json_object(value, "localizations")
    if len(value) > MAX_LANGUAGES:
        raise BadInput(f"localizations has more than {MAX_LANGUAGES} languages",
                       field="localizations")
    out: dict[str, dict[str, str]] = {}
    for language, table in value.items():
        if not LANGUAGE.match(language):
            raise BadInput(f"localizations: {language!r} is not a language code like en, fr, "
                           "pt-BR or zh-Hans", field="localizations")
        if not isinstance(table, dict) or not table:
            raise BadInput(f"localizations.{language} must be an object of strings, e.g. "
                           '{"SEAT": "Place"}', field="localizations")
        out[language] = {_text(k, f"localizations.{language} key"):
                         _text(v, f"localizations.{language}.{k}") for k, v in table.items()}
    return out or None


def _quoted(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def pass_strings(table: dict[str, str]) -> bytes:
    """One ``pass.strings`` file: UTF-16 (little-endian) with its byte-order mark."""
    body = "".join(f"{_quoted(k)} = {_quoted(v)};\n" for k, v in sorted(table.items()))
    return b"\xff\xfe" + body.encode("utf-16-le")


def lproj_files(localizations: dict[str, dict[str, str]] | None) -> dict[str, bytes]:
    """``{"fr.lproj/pass.strings": …}`` for every language."""
    return {f"{language}.lproj/pass.strings": pass_strings(table)
            for language, table in sorted((localizations or {}).items())}
