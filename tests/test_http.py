"""The HTTP door: GraphiQL, health, request ids, limits, error masking."""

import strawberry
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from schema.pipeline import OperationPipeline


async def test_graphiql_is_served_without_a_key(client: TestClient):
    resp = await client.get("/graphql", headers={"Accept": "text/html"})
    assert resp.status == 200
    assert "graphiql" in (await resp.text()).lower()


async def test_graphiql_can_be_switched_off(aiohttp_client, settings):
    settings.graphiql = False
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/graphql", headers={"Accept": "text/html"})
    assert resp.status != 200 or "graphiql" not in (await resp.text()).lower()


async def test_introspection_can_be_switched_off(aiohttp_client, settings):
    from tests.conftest import make_api

    settings.introspection = False
    api = await make_api(await aiohttp_client(create_app(settings)))
    status, body = await api.post("{ __schema { queryType { name } } }")
    assert status == 200 and body["data"] is None
    assert "introspection has been disabled" in body["errors"][0]["message"]
    assert (await api.gql("{ viewer { plan } }"))["viewer"]["plan"] == "pro"


async def test_health_and_readiness(client: TestClient):
    assert (await client.get("/healthz")).status == 200
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert (await resp.json())["checks"] == {"database": "ok"}


async def test_readiness_checks_redis(aiohttp_client, settings, redis_url):
    settings.redis_url = redis_url
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/readyz")
    assert (await resp.json())["checks"] == {"database": "ok", "redis": "ok"}
    from tests.servers import free_port

    settings.redis_url = f"redis://127.0.0.1:{free_port()}/0"
    down = await aiohttp_client(create_app(settings))
    resp = await down.get("/readyz")
    assert resp.status == 503
    assert (await resp.json())["checks"]["redis"].startswith("unreachable")


async def test_request_id_is_returned_and_kept(api):
    resp = await api.client.post("/graphql", json={"query": "{ viewer { plan } }"},
                                 headers={"Authorization": f"Bearer {api.key}"})
    assert len(resp.headers["X-Request-Id"]) == 32
    resp = await api.client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert resp.headers["X-Request-Id"] == "abc-123"


async def test_body_size_cap(api):
    big = "x" * (1_048_576 + 10)
    resp = await api.client.post("/graphql", data=big,
                                 headers={"Authorization": f"Bearer {api.key}",
                                          "Content-Type": "application/json"})
    assert resp.status == 413
    assert "larger than" in (await resp.json())["errors"][0]["message"]


async def test_depth_alias_and_token_limits(api):
    deep = "{ passes { edges { node { " + "template { passes { edges { node { " * 3 + "code" \
        + " } } } }" * 3 + " } } } }"
    err = await api.error(deep)
    assert "exceeds maximum operation depth" in err["message"]
    aliases = "{ viewer { " + " ".join(f"a{i}: plan" for i in range(40)) + " } }"
    assert "aliases" in (await api.error(aliases))["message"].lower()
    tokens = "{ viewer { " + " ".join(["plan"] * 2100) + " } }"
    assert "token" in (await api.error(tokens))["message"].lower()


async def test_batched_requests_are_refused(api):
    resp = await api.client.post(
        "/graphql", json=[{"query": "{ viewer { plan } }"}] * 2,
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert resp.status == 400


async def test_bad_variables_are_bad_user_input(api):
    doc = "mutation($i: CreatePassInput!) { createPass(input: $i) { pass { id } } }"
    err = await api.error(doc, {"i": {"validFrom": "not a date"}})
    assert err["extensions"]["code"] == "BAD_USER_INPUT"
    err = await api.error("{ nope }")
    assert err["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    err = await api.error("{ viewer { ")
    assert err["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@strawberry.type
class _Broken:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("database password is hunter2")


async def test_unexpected_errors_are_masked_and_logged(caplog):
    schema = strawberry.Schema(query=_Broken, extensions=[lambda: OperationPipeline((), 2000)])
    result = await schema.execute("{ boom }", context_value=type("C", (), {"request_id": "r1"}))
    error = result.errors[0]
    assert error.message == "Internal server error"
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "r1"}
    assert "hunter2" in caplog.text and "r1" in caplog.text
