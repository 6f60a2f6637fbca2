"""What a dynamic QR code's analytics keep of a visitor, decided at scan time: the class of
device (from the User-Agent, with ua-parser) and the country (from the IP address, with the
offline database iptocc ships; nothing is asked over the network). The IP itself is never
stored: only these and a keyed hash for counting unique visitors."""

import re
from functools import lru_cache

import iptocc
import ua_parser

DEVICE_CLASSES = ("mobile", "tablet", "desktop", "bot", "other")
_BOT_WORDS = re.compile(r"bot|crawl|spider|slurp|fetch|preview|curl|wget|python|"
                        r"httpclient|okhttp|go-http|java/|headless", re.I)
_TABLET_FAMILIES = re.compile(r"ipad|tablet|kindle|silk|playbook|nexus (7|9|10)|sm-t|"
                              r"galaxy tab|lenovo tab|mediapad|xoom", re.I)
_MOBILE_OS = frozenset({"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS",
                        "Firefox OS", "HarmonyOS", "Tizen", "Symbian OS", "webOS"})
_DESKTOP_OS = frozenset({"Windows", "Mac OS X", "macOS", "Linux", "Ubuntu", "Chrome OS",
                         "ChromeOS", "Fedora", "Debian", "FreeBSD", "OpenBSD", "NetBSD"})


def warm() -> None:
    """ua-parser compiles its rules on first use (about half a second): the app does it in a
    thread at start, so the first scan does not hold up the event loop."""
    device_class("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")


@lru_cache(maxsize=4096)
def device_class(user_agent: str | None) -> str:
    """mobile, tablet, desktop or bot; other when the agent says nothing recognisable."""
    if not user_agent or not user_agent.strip():
        return "other"
    parsed = ua_parser.parse(user_agent[:500])
    device = parsed.device.family if parsed.device else ""
    os_family = parsed.os.family if parsed.os else ""
    agent = parsed.user_agent.family if parsed.user_agent else ""
    if device == "Spider" or _BOT_WORDS.search(agent or "") or (
        not os_family and _BOT_WORDS.search(user_agent)
    ):
        return "bot"
    if _TABLET_FAMILIES.search(device or "") or (
        # Android tablets leave "Mobile" out of their agent (Google's own advice).
        os_family == "Android" and "Mobile" not in user_agent
    ):
        return "tablet"
    if os_family in _MOBILE_OS or device in ("iPhone", "iPod"):
        return "mobile"
    if os_family in _DESKTOP_OS or (device == "Mac"):
        return "desktop"
    return "other"


def country_of(client_ip: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a public address; None for private, loopback or unknown
    addresses and for anything that is not an address."""
    if not client_ip or len(client_ip) > 64:
        return None
    try:
        code = iptocc.country_code(client_ip)
    except (ValueError, TypeError):
        return None
    return code.upper() if isinstance(code, str) and len(code) == 2 else None
