"""Moving in and out: ``passgate import`` of a vendor's export (existing codes kept, old codes
validating through that vendor's own REST route, re-runs skip what is there), and
``passgate export`` / ``GET /api/v1/passes/export`` back out in bounded memory."""

import csv
import io
import json
import random
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from resolvers import auth
from tests.conftest import Api
from tests.servers import PASSGATE, ROOT, cli_env, run_cli
from tests.test_rest_walletcrew import Wc

N = 10_000


def engine_export(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """PassEngine's GET /api/v1/passes items (seed 000), as a business downloads them."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        multi = i % 3 == 0
        status = "revoked" if i % 50 == 1 else ("used" if i % 7 == 2 and not multi else "active")
        out.append({
            "id": f"clx{i:09d}abc",
            "code": "".join(rnd.choices(string.ascii_uppercase + string.digits, k=12)),
            "name": f"Guest {i}",
            "type": "multi" if multi else "single",
            "status": status,
            "maxUsages": 3 if multi else None,
            "usagesCount": (2 if multi else (1 if status == "used" else 0)),
            "validFrom": None,
            "validUntil": "2099-12-31T23:59:59.000Z",
            "publicUrl": f"https://tickets.example/p/x{i}?token=abc",
            "createdAt": "2025-01-01T10:00:00.000Z",
            "note": None,
            "templateId": None,
            "customFields": [{"key": "Seat", "value": f"A{i}", "isPublic": True}],
            "client": {"name": f"Holder {i}", "email": f"h{i}@example.com"},
        })
    return out


def cli_import(db_url: str, tenant: str, fmt: str, path: Path) -> dict[str, Any]:
    done = subprocess.run([*PASSGATE, "import", "--tenant", tenant, "--from", fmt, str(path),
                           "--json"], env=cli_env(db_url), cwd=ROOT, capture_output=True,
                          text=True, timeout=900)  # 10,000 passes on a loaded CI machine
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def peak_rss_mb(db_url: str, *args: str) -> tuple[float, bytes]:
    """Run the CLI in a child whose peak RSS we read from /proc when it has written
    everything (VmHWM), and what it wrote."""
    probe = ("import resource, runpy, sys\n"
             "sys.argv = ['passgate', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('gateway', run_name='__main__')\n"
             "finally:\n    sys.stdout.flush()\n"
             "    sys.stderr.write('PEAK_KB=%d' % resource.getrusage(resource.RUSAGE_SELF)"
             ".ru_maxrss)\n")
    proc = subprocess.run([sys.executable, "-c", probe, *args], env=cli_env(db_url), cwd=ROOT,
                          capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    peak = int(proc.stderr.decode().rsplit("PEAK_KB=", 1)[1])
    return peak / 1024, proc.stdout


async def ndjson(api: Api) -> list[dict[str, Any]]:
    """GET /api/v1/passes/export, read as it streams (chunked), one object a line."""
    resp = await api.client.get("/api/v1/passes/export",
                                headers={"Authorization": f"Bearer {api.key}"})
    assert resp.status == 200 and resp.content_type == "application/x-ndjson"
    assert resp.headers.get("Transfer-Encoding") == "chunked"
    assert "attachment" in resp.headers["Content-Disposition"]
    out = []
    async for line in resp.content:
        out.append(orjson.loads(line))
    return out


@pytest.mark.slow
async def test_import_a_10000_pass_passengine_export_and_export_it_back(
        api: Api, db_url: str, tmp_path: Path) -> None:
    records = engine_export(N)
    path = tmp_path / "passengine.json"
    path.write_bytes(orjson.dumps(records))
    started = time.monotonic()
    report = cli_import(db_url, api.tenant_id, "passengine", path)
    elapsed = time.monotonic() - started
    assert report == {"imported": N, "skipped": 0, "refused": 0, "refusals": [],
                      "unlinkedReferences": 0}
    print(f"\nimport: {N} passes in {elapsed:.1f} s ({N / elapsed:,.0f} passes/s, "
          "CLI start included)")

    # Old codes validate through PassEngine's own route, with their use counts kept.
    key = (await auth.create_key(api.db, api.tenant_id, name="pe", scopes="all",
                                 dialect="passengine")).key
    multi = records[3]    # multi, 2 of 3 uses made
    single = records[4]   # single, unused
    used = records[2]     # single, used
    revoked = records[1]
    for rec, valid, reason in ((multi, True, "ok"), (multi, False, "used"),
                               (single, True, "ok"), (used, False, "used"),
                               (revoked, False, "revoked")):
        scanned = await api.rest("POST", "/api/v1/scan", {"code": rec["code"].lower()}, key=key)
        assert scanned.status == 200, scanned.body
        assert (scanned.body["valid"], scanned.body["reason"]) == (valid, reason), rec
        assert scanned.body["pass"]["id"] == rec["id"]
    got = await api.rest("GET", f"/api/v1/passes/{single['id']}", key=key)
    assert got.status == 200 and got.body["code"] == single["code"]
    assert got.body["customFields"] == single["customFields"]
    listed = await api.rest("GET", "/api/v1/passes", key=key, params={"search": multi["code"]})
    assert listed.body[0]["client"] is None  # holder kept on the pass, not as a client
    holder = await api.gql('query($c: String!) { pass(code: $c) { holderName holderEmail '
                           'usagesCount maxUsages state validUntil } }', {"c": multi["code"]})
    assert holder["pass"] == {"holderName": "Holder 3", "holderEmail": "h3@example.com",
                              "usagesCount": 3, "maxUsages": 3, "state": "ACTIVE",
                              "validUntil": "2099-12-31T23:59:59+00:00"}

    # A re-run duplicates nothing.
    again = cli_import(db_url, api.tenant_id, "passengine", path)
    assert (again["imported"], again["skipped"], again["refused"]) == (0, N, 0)
    total = await api.gql("query { passes(filter: {includeDeleted: true}) { totalCount } }")
    assert total["passes"]["totalCount"] == N

    # Everything back out, streamed: the peak memory of exporting 10,000 passes is that of
    # exporting a tenant with 100 (one page is held at a time).
    small = (await api.other_tenant())
    small_file = tmp_path / "small.json"
    small_file.write_bytes(orjson.dumps(engine_export(100, seed=8)))
    assert cli_import(db_url, small.tenant_id, "passengine", small_file)["imported"] == 100
    peak_small, _ = peak_rss_mb(db_url, "export", "--tenant", small.tenant_id)
    peak_big, out = peak_rss_mb(db_url, "export", "--tenant", api.tenant_id)
    lines = out.splitlines()
    assert len(lines) == N
    print(f"export peak RSS: {peak_big:.0f} MB for {N} passes, {peak_small:.0f} MB for 100")
    assert peak_big - peak_small < 15, (peak_big, peak_small)
    exported = {o["code"]: o for o in map(orjson.loads, lines)}
    assert set(exported) == {r["code"] for r in records}
    assert exported[revoked["code"]]["state"] == "deleted"
    assert exported[multi["code"]]["uses_count"] == 3

    # The export imports into another tenant as it was (codes, use counts, states).
    moved = await api.other_tenant()
    export_file = tmp_path / "export.ndjson"
    export_file.write_bytes(out)
    report = cli_import(db_url, moved.tenant_id, "native", export_file)
    assert (report["imported"], report["refused"]) == (N, 0), report["refusals"][:3]
    _, out_again = peak_rss_mb(db_url, "export", "--tenant", moved.tenant_id)
    keep = ("code", "state", "status", "uses_count", "max_uses", "expires_at",
            "holder_name", "holder_email", "custom_fields", "type", "name")
    again_by_code = {o["code"]: o for o in map(orjson.loads, out_again.splitlines())}
    assert {c: {k: o[k] for k in keep} for c, o in again_by_code.items()} == {
        c: {k: o[k] for k in keep} for c, o in exported.items()}
    # Each pass keeps the id the old tenant showed (a UUID) as its vendor id, so a client
    # holding it still finds it; a vendor id it already had is kept instead.
    assert {c: o["external_id"] for c, o in again_by_code.items()} == {
        c: o["external_id"] or o["id"] for c, o in exported.items()}


async def test_export_route_streams_filtered_ndjson_and_csv(api: Api, db_url: str,
                                                            tmp_path: Path) -> None:
    for i in range(5):
        await api.gql("mutation($i: CreatePassInput!) { createPass(input: $i) { pass { id } } }",
                      {"i": {"code": f"E-{i}", "externalId": f"e{i}", "type": "MULTI",
                             "maxUsages": 4, "usagesCount": i % 3,
                             "metadata": {"batch": "a" if i < 3 else "b"},
                             "state": "DELETED" if i == 4 else "ACTIVE"}})
    objects = await ndjson(api)
    assert sorted(o["code"] for o in objects) == [f"E-{i}" for i in range(5)]
    filtered = await api.rest("GET", "/api/v1/passes/export",
                              params={"metadata": '{"batch": "a"}', "format": "csv"})
    assert filtered.status == 200 and filtered.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(filtered.body)))
    assert sorted(r["code"] for r in rows) == ["E-0", "E-1", "E-2"]
    assert json.loads(rows[0]["metadata"]) == {"batch": "a"}
    bad = await api.rest("GET", "/api/v1/passes/export", params={"format": "xml"})
    assert bad.status == 400 and bad.body["field"] == "format"
    bad = await api.rest("GET", "/api/v1/passes/export", params={"status": "nope"})
    assert bad.status == 400 and bad.body["field"] == "status"

    # The CSV goes back in through --from csv, states and use counts intact.
    path = tmp_path / "all.csv"
    everything = await api.rest("GET", "/api/v1/passes/export", params={"format": "csv"})
    path.write_text(everything.body)
    other = await api.other_tenant()
    report = cli_import(db_url, other.tenant_id, "csv", path)
    assert (report["imported"], report["refused"]) == (5, 0), report
    got = {o["code"]: (o["state"], o["uses_count"], o["external_id"])
           for o in await ndjson(other)}
    assert got == {f"E-{i}": ("deleted" if i == 4 else "active", i % 3, f"e{i}")
                   for i in range(5)}


async def test_refused_records_are_reported_and_the_rest_imported(
        api: Api, db_url: str, tmp_path: Path) -> None:
    wc = Wc(api)
    await api.gql('mutation { createTemplate(input: {name: "Loyalty"}) { template { id } } }')
    records = [
        {"id": "wc-00001", "secret": "GOOD1", "passType": "Loyalty",
         "identifiers": {"member": "1"}, "metadata": {"tier": "gold"},
         "additionalData": {"points": 10}},
        {"id": "wc-00002", "secret": "bad code!", "passType": "Loyalty"},
        {"id": "wc-00003", "secret": "GOOD1"},                 # same code as record 1
        {"id": "wc-00004", "secret": "GOOD4", "metadata": "not an object"},
        {"id": "wc-00005", "secret": "GOOD5", "passType": "Unknown type"},
        "not an object",
    ]
    path = tmp_path / "walletcrew.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    report = cli_import(db_url, api.tenant_id, "walletcrew", path)
    assert (report["imported"], report["skipped"], report["refused"]) == (2, 0, 4)
    assert report["unlinkedReferences"] == 1
    why = {r["record"]: r for r in report["refusals"]}
    assert set(why) == {2, 3, 4, 6}
    assert why[2]["field"] == "code" and "barcode" in why[2]["reason"]
    assert "record 1" in why[3]["reason"]
    assert why[4]["field"] == "metadata"
    got = await wc("GET", "/passes/wc-00001")
    assert got.status == 200
    assert (got.body["secret"], got.body["passType"], got.body["identifiers"],
            got.body["metadata"], got.body["additionalData"]) == (
        "GOOD1", "Loyalty", {"member": "1"}, {"tier": "gold"}, {"points": 10})
    # Fixed and run again: only what was refused comes in.
    records[1]["secret"] = "GOOD2"
    records[3]["metadata"] = {}
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records[:5]) + b"\n")
    report = cli_import(db_url, api.tenant_id, "walletcrew", path)
    assert (report["imported"], report["skipped"], report["refused"]) == (2, 2, 1)


def test_import_cli_errors_are_clear(db_url: str, tmp_path: Path) -> None:
    tenant = json.loads(run_cli(db_url, "tenants", "create", "mover", "--plan", "pro",
                                "--json").stdout)
    junk = tmp_path / "junk.json"
    junk.write_text("this is not json")
    bad = run_cli(db_url, "import", "--tenant", tenant["id"], "--from", "native", str(junk),
                  check=False)
    assert bad.returncode != 0 and "not JSON" in bad.stderr
    bad = run_cli(db_url, "import", "--tenant", "ten_nope", "--from", "native", str(junk),
                  check=False)
    assert bad.returncode != 0 and "no tenant" in bad.stderr
    bad = run_cli(db_url, "import", "--tenant", tenant["id"], "--from", "pdf", str(junk),
                  check=False)
    assert bad.returncode != 0 and "pdf" in bad.stderr
    # Over the plan's pass limit: the batch is refused whole and the import stops.
    free = json.loads(run_cli(db_url, "tenants", "create", "tiny", "--plan", "free",
                              "--json").stdout)
    many = tmp_path / "many.ndjson"
    many.write_bytes(b"".join(orjson.dumps({"code": f"F-{i}"}) + b"\n" for i in range(150)))
    done = run_cli(db_url, "import", "--tenant", free["id"], "--from", "native", str(many),
                   "--json", check=False)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert (report["imported"], report["refused"]) == (0, 150)
    assert "free plan" in report["refusals"][0]["reason"]


async def test_passqr_pass_objects_import_with_their_ids(api: Api, db_url: str,
                                                         tmp_path: Path) -> None:
    """PassQR's GET /api/v1/passes items (specs/vendors.md): the uuid becomes the vendor id,
    ``revoked`` a deleted pass, and the old codes validate on PassQR's own route."""
    uuid = "7b1e3c2a-9d4f-4a51-8f1e-2b6c0d9e4f11"
    records = {"data": [
        {"id": uuid, "code": "PASS-ABC12345", "template_id": "5d0c…", "holder_name": "Jane",
         "holder_email": "jane@example.com", "data": {"seat": "A1"}, "status": "active",
         "uses_count": 0, "max_uses": 1, "expires_at": "2099-01-01T00:00:00Z",
         "created_at": "2025-01-01T00:00:00Z", "public_url": "https://passqr.com/p/PASS-ABC12345"},
        {"id": "0a4c9a8e-1111-4a51-8f1e-2b6c0d9e4f12", "code": "PASS-REV00001",
         "status": "revoked", "uses_count": 0, "max_uses": 1},
    ], "meta": {"page": 1, "limit": 20, "total": 2}}
    path = tmp_path / "passqr.json"
    path.write_bytes(orjson.dumps(records))
    report = cli_import(db_url, api.tenant_id, "native", path)
    assert (report["imported"], report["refused"], report["unlinkedReferences"]) == (2, 0, 1)
    ok = await api.rest("POST", "/api/v1/validate", {"code": "pass-abc12345"})
    assert ok.body["data"]["result"] == "valid"
    assert ok.body["data"]["pass"]["external_id"] == uuid
    assert ok.body["data"]["pass"]["data"] == {"seat": "A1"}
    revoked = await api.rest("POST", "/api/v1/validate", {"code": "PASS-REV00001"})
    assert revoked.body["data"]["result"] == "revoked"
    got = await api.rest("GET", f"/api/v1/passes/{uuid}")
    assert got.status == 200 and got.body["data"]["holder_email"] == "jane@example.com"
