"""Plans, defined in one place: API access, how many passes and webhooks a tenant may keep,
and the per-minute limit of each endpoint class.

Limits count per API key and, separately, per client IP (seed 001 counts per IP; seed 000
per key). A gate validating all day must fit the pro plan: 1,200 validations a minute is
20 a second from one key.
"""

from dataclasses import dataclass

CLASSES = ("read", "write", "validate", "admin")


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    api_access: bool
    per_minute: dict[str, int]
    max_passes: int | None  # passes that are not deleted; None: no limit
    monthly_api_calls: int | None = None
    monthly_validations: int | None = None
    max_webhooks: int | None = None  # registered webhooks; None: no limit


PLANS: dict[str, Plan] = {
    "free": Plan("free", False, {"read": 60, "write": 30, "validate": 30, "admin": 10}, 100,
                 max_webhooks=0),
    "starter": Plan("starter", True,
                    {"read": 120, "write": 60, "validate": 60, "admin": 30}, 1_000,
                    50_000, 20_000, max_webhooks=2),
    "pro": Plan("pro", True,
                {"read": 600, "write": 300, "validate": 1200, "admin": 60}, 25_000,
                1_000_000, 1_000_000, max_webhooks=10),
    "team": Plan("team", True,
                 {"read": 1200, "write": 600, "validate": 3000, "admin": 120}, 250_000,
                 5_000_000, 5_000_000, max_webhooks=50),
    "enterprise": Plan("enterprise", True,
                       {"read": 6000, "write": 3000, "validate": 12000, "admin": 600}, None,
                       max_webhooks=None),
}
