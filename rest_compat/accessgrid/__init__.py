"""The accessgrid dialect (AccessGrid, seed 002): signed requests on ``/v1/…``."""

import re
from pathlib import Path
from typing import Any

from aiohttp import web

from ..engine import Dialect
from ..openapi_types import array, obj, ref
from .present import EVENT_FILTER
from .routes import ROUTES

# The graph's names that reach error messages, in AccessGrid's spelling: the message is all
# an AccessGrid client reads, so it must name the field as the client sent it.
WIRE_NAMES = {
    "filter.templateId": "template_id", "templateId": "card_template_id",
    "holderName": "full_name", "holderEmail": "email", "holderPhone": "phone_number",
    "validFrom": "start_date", "validUntil": "expiration_date",
    "backgroundColor": "background_color", "labelColor": "label_color",
    "authMethod": "auth_method",
}
_GRAPH_NAME = re.compile(r"\b(" + "|".join(re.escape(n) for n in WIRE_NAMES) + r")\b")


def error_body(status: int, code: str, message: str, field: str | None,
               request: web.Request) -> dict[str, Any]:
    """AccessGrid's clients read only ``message``."""
    return {"message": _GRAPH_NAME.sub(lambda m: WIRE_NAMES[m.group(1)], message)}


# "expired": an active card past its expiration date, as the presenter answers it.
STATE = {"type": "string", "enum": ["active", "suspended", "unlink", "deleted", "expired"]}
CARD = obj(
    id="str", install_url="str", direct_install_url="str", state=STATE, full_name="str?",
    email="str?", phone_number="str?", employee_id="str?", card_template_id="str?",
    card_number="str?", site_code="str?", file_data="any", temporary="bool",
    organization_name="str?", start_date="time?", expiration_date="time?",
    created_at="time", metadata="obj",
    devices=array(obj(id="str", platform="str", device_type="str", status="str")),
)
CARD["description"] = ("A key card (a pass). The other issue fields it was given (department, "
                       "title, hotel fields, …) come back under their own names.")
CARD["additionalProperties"] = True
SCHEMAS = {
    "AccessGridCard": {"allOf": [CARD, obj(status={"type": "string", "const": "success"})]},
    "AccessGridCardList": obj(
        status="str", count="int", total_count="int", page="int", per_page="int",
        total_pages="int", keys=array(CARD)),
    "AccessGridTemplate": obj(
        id="str", name="str", platform={"type": ["string", "null"], "enum": [
            "apple", "google", None]},
        use_case="str?", protocol="str?", created_at="time", last_published_at="time?",
        issued_keys_count="int", active_keys_count="int",
        allowed_device_counts=obj(allow_on_multiple_devices="bool", watch_count="int",
                                  iphone_count="int"),
        support_settings=obj(support_url="str", support_phone_number="str",
                             support_email="str"),
        terms_settings=obj(privacy_policy_url="str", terms_and_conditions_url="str"),
        style_settings=obj(background_color="str?", label_color="str?",
                           label_secondary_color="str"),
        metadata="obj"),
    "AccessGridEventLog": obj(
        logs=array(obj(id="str", event={"type": "string", "enum": list(EVENT_FILTER)},
                       created_at="time", ip_address="str?",
            user_agent="str?", metadata=obj(device="str?", platform="str?", card_id="str?",
                                            template_id="str", location="str?",
                                            reason="str?"))),
        pagination=obj(current_page="int", per_page="int", total_pages="int",
                       total_count="int")),
    "AccessGridWebhook": obj(
        id="str", name="str?", url="str", auth_method={"type": "string", "enum": [
            "bearer_token", "mtls", "none"]},
        subscribed_events=array({"type": "string"}), created_at="time", private_key="str",
        client_cert="str?", cert_expires_at="time?"),
}
SCHEMAS["AccessGridWebhookList"] = obj(webhooks=array(ref("AccessGridWebhook")))

DIALECT = Dialect(
    name="accessgrid",
    pass_lookup="AgCardByExternalId",
    title="AccessGrid",
    folder=Path(__file__).parent,
    routes=ROUTES,
    error_body=error_body,
    security="accessgrid",
    error_schema=obj(message="str"),
    schemas=SCHEMAS,
)
