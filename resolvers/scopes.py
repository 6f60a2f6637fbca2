"""API key scopes and the plans a tenant can be on."""

from .errors import BadInput

PLANS = ("free", "starter", "pro", "team", "enterprise")

ALL_SCOPES = (
    "passes:read",
    "passes:write",
    "scans:read",
    "scans:write",
    "templates:read",
    "templates:write",
    "customers:read",
    "customers:write",
    "qr:read",
    "qr:write",
    "webhooks:read",
    "webhooks:write",
    "admin",
)


def parse_scopes(raw: str | list[str] | tuple[str, ...]) -> list[str]:
    """Accept ``all``, ``domain:*`` wildcards and explicit scopes; reject unknown ones."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        if item == "all":
            return list(ALL_SCOPES)
        if item.endswith(":*"):
            domain = item[:-2]
            matched = [s for s in ALL_SCOPES if s.startswith(domain + ":")]
            if not matched:
                raise BadInput(f"unknown scope {item!r}", field="scopes")
            out.extend(matched)
        elif item in ALL_SCOPES:
            out.append(item)
        else:
            raise BadInput(
                f"unknown scope {item!r}; known: {', '.join(ALL_SCOPES)}", field="scopes"
            )
    if not out:
        raise BadInput("at least one scope is required", field="scopes")
    return sorted(set(out), key=ALL_SCOPES.index)


def check_plan(plan: str) -> str:
    if plan not in PLANS:
        raise BadInput(f"unknown plan {plan!r}; plans: {', '.join(PLANS)}", field="plan")
    return plan
