"""The passgate command line, run as a user runs it."""

import json
import urllib.request

import pytest

from tests.servers import run_cli, serve


def test_tenants_and_keys(db_url):
    tenant = json.loads(run_cli(db_url, "tenants", "create", "Acme Events", "--plan", "team",
                                "--json").stdout)
    assert tenant["name"] == "Acme Events" and tenant["plan"] == "team"
    assert tenant["id"].startswith("ten_")
    listed = run_cli(db_url, "tenants", "list").stdout
    assert tenant["id"] in listed and "Acme Events" in listed

    key = json.loads(run_cli(db_url, "keys", "create", "--tenant", tenant["id"], "--name", "gate",
                             "--scopes", "scans:write passes:read", "--json").stdout)
    assert set(key) == {"id", "key", "prefix", "scopes", "dialect"}
    assert key["scopes"] == ["passes:read", "scans:write"]
    assert key["key"].startswith(key["prefix"]) and len(key["key"]) >= 36

    listing = run_cli(db_url, "keys", "list", "--tenant", tenant["id"]).stdout
    assert key["id"] in listing and key["key"] not in listing and "active" in listing
    rows = json.loads(run_cli(db_url, "keys", "list", "--tenant", tenant["id"], "--json").stdout)
    assert rows[0]["last4"] == key["key"][-4:] and "key_hash" not in rows[0]

    assert "revoked" in run_cli(db_url, "keys", "revoke", key["id"]).stdout
    assert "revoked" in run_cli(db_url, "keys", "list", "--tenant", tenant["id"]).stdout


def test_cli_errors_are_clear(db_url):
    bad = run_cli(db_url, "keys", "create", "--tenant", "ten_nope", check=False)
    assert bad.returncode != 0 and "no tenant" in bad.stderr
    bad = run_cli(db_url, "tenants", "create", "x", "--plan", "gold", check=False)
    assert bad.returncode != 0 and "gold" in bad.stderr
    tenant = json.loads(run_cli(db_url, "tenants", "create", "scoped", "--json").stdout)
    bad = run_cli(db_url, "keys", "create", "--tenant", tenant["id"], "--scopes", "fly",
                  check=False)
    assert bad.returncode != 0 and "unknown scope 'fly'" in bad.stderr
    bad = run_cli(db_url, "keys", "revoke", "key_nope", check=False)
    assert bad.returncode != 0 and "no API key" in bad.stderr


def test_export_schema(db_url):
    sdl = run_cli(db_url, "export-schema").stdout
    for line in ("validatePass(input: ValidatePassInput!): ValidatePassPayload!",
                 "type Pass implements Node", "totalCount: Int!"):
        assert line in sdl


def test_serve_refuses_an_unmigrated_database(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    proc = run_cli(url, "serve", "--port", "1", check=False)
    assert proc.returncode != 0
    assert "run `passgate migrate` first" in proc.stderr


def test_first_run_demo_then_serve(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/demo.db"
    run_cli(url, "migrate")
    first = run_cli(url, "init-demo").stdout
    key = next(w for w in first.split() if w.startswith("pgk_"))
    again = run_cli(url, "init-demo").stdout
    assert "exists" in again and "pgk_" not in again
    with serve(url) as (base,):
        req = urllib.request.Request(
            f"{base}/graphql", data=json.dumps({"query": "{ viewer { tenant { name plan } } }"}
                                              ).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = json.load(resp)
    assert body["data"]["viewer"]["tenant"] == {"name": "demo", "plan": "team"}


@pytest.mark.parametrize("env", ["production"])
def test_production_requires_a_secret_key(tmp_path, env):
    url = f"sqlite+aiosqlite:///{tmp_path}/p.db"
    proc = run_cli(url, "serve", check=False, PASSGATE_ENV=env, PASSGATE_SECRET_KEY="")
    assert proc.returncode != 0
    assert "PASSGATE_SECRET_KEY is required" in proc.stderr


@pytest.mark.parametrize("args", [
    ("tenants", "list"),
    ("keys", "list", "--tenant", "acme"),
    ("import", "--tenant", "acme", "--from", "native", "-"),
    ("export", "--tenant", "acme"),
])
def test_commands_on_an_unmigrated_database_say_to_migrate(tmp_path, args):
    """Each command imports what it needs on its own (import/export once hit a circular
    import that way) and names the fix instead of a traceback about a missing table."""
    proc = run_cli(f"sqlite+aiosqlite:///{tmp_path}/empty.db", *args, check=False)
    assert proc.returncode != 0
    assert "run `passgate migrate` first" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
