"""Query and Mutation, assembled from the domains."""

import strawberry
from strawberry import relay
from strawberry.tools import merge_types
from strawberry.types import Info

from resolvers.errors import NotFound
from resolvers.qr import require_plan as require_qr_plan

from .cors.types import CorsMutations, CorsQueries
from .customers.mutations import CustomerMutations
from .customers.queries import CustomerQueries
from .customers.tokens import CustomerTokenMutations
from .customers.types import Customer
from .events.queries import EventQueries
from .events.subscriptions import EventSubscriptions
from .ids import parse_global_id
from .insights.types import InsightQueries
from .keys.mutations import KeyMutations
from .limits.types import LimitMutations
from .passes.mutations import PassMutations
from .passes.queries import PassQueries
from .passes.types import Pass
from .qr.mutations import QrMutations
from .qr.queries import QrQueries
from .qr.types import QrCode
from .scans.queries import ScanQueries
from .scans.types import Scan
from .templates.mutations import TemplateMutations
from .templates.queries import TemplateQueries
from .templates.types import Template
from .viewer.types import ViewerQueries
from .wallet.mutations import PassMessageMutations, WalletMutations
from .wallet.queries import WalletQueries
from .webhooks.mutations import WebhookMutations
from .webhooks.queries import WebhookQueries
from .webhooks.types import Webhook

NODE_TYPES = {
    "Pass": ("pass", "passes:read", Pass),
    "Template": ("template", "templates:read", Template),
    "Customer": ("customer", "customers:read", Customer),
    "Scan": ("scan", "scans:read", Scan),
    "QrCode": ("qr", "qr:read", QrCode),
    "Webhook": ("webhook", "webhooks:read", Webhook),
}


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id (raw prefixed ids work too).")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        parsed = parse_global_id(id)
        if parsed is None:
            raise NotFound("no object with that id")
        type_name, raw = parsed
        kind, scope, cls = NODE_TYPES[type_name]
        info.context.require(scope)
        if kind == "qr":  # a Team-tier API (seed 004), however the code is reached
            require_qr_plan(info.context.principal.plan)
        row = await info.context.loaders[kind].load(raw)
        if row is None:
            raise NotFound("no object with that id")
        return cls.from_row(row)


Query = merge_types(
    "Query",
    (NodeQueries, ViewerQueries, PassQueries, TemplateQueries, CustomerQueries, ScanQueries,
     WebhookQueries, QrQueries, WalletQueries, EventQueries, InsightQueries, CorsQueries),
)
Mutation = merge_types(
    "Mutation",
    (PassMutations, TemplateMutations, CustomerMutations, LimitMutations, KeyMutations,
     WebhookMutations, QrMutations, WalletMutations, PassMessageMutations, CorsMutations,
     CustomerTokenMutations),
)
Subscription = merge_types("Subscription", (EventSubscriptions,))
