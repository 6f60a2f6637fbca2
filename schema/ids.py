"""Reading ids from input: Relay global ids, or the raw prefixed ids REST clients hold."""

from strawberry import relay

from resolvers.errors import NotAnId
from resolvers.ids import PREFIXES

TYPE_KIND = {"Pass": "pass", "Template": "template", "Customer": "customer", "Scan": "scan",
             "QrCode": "qr",
             "Webhook": "webhook"}


def raw_id(value: str, type_name: str, field: str) -> str:
    """``tpl_…`` or the global id of a Template both give ``tpl_…``."""
    prefix = PREFIXES[TYPE_KIND[type_name]] + "_"
    if value.startswith(prefix):
        return value
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:
        raise NotAnId(f"{field} is not a {type_name} id", field=field) from None
    if gid.type_name != type_name or not gid.node_id.startswith(prefix):
        raise NotAnId(f"{field} is not a {type_name} id", field=field)
    return gid.node_id


def parse_global_id(value: str) -> tuple[str, str] | None:
    """(type name, raw id) for a global or raw id; None if it is neither."""
    for type_name, kind in TYPE_KIND.items():
        if value.startswith(PREFIXES[kind] + "_"):
            return type_name, value
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:
        return None
    if gid.type_name in TYPE_KIND:
        return gid.type_name, gid.node_id
    return None
