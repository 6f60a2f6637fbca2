"""The ``passgate`` command line."""

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from pydantic import ValidationError

from resolvers import auth
from resolvers.db import Database
from resolvers.errors import DomainError

from .settings import Settings

T = TypeVar("T")


def _settings() -> Settings:
    """Settings, or a one-line error naming what is wrong with them."""
    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors())
        raise click.ClickException(f"bad settings: {problems}") from None


def _run(fn: Callable[[Database], Awaitable[T]]) -> T:
    """Run one database task with a fresh engine; domain errors and an unmigrated database
    become clean CLI errors (not a traceback about a missing table)."""
    from .migrate import NotMigrated, check_migrated

    async def main() -> T:
        url = _settings().database_url
        db = Database(url, pool_size=2)
        try:
            await check_migrated(db.engine, url)
            return await fn(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except (DomainError, NotMigrated) as e:
        raise click.ClickException(getattr(e, "message", str(e))) from None


def _echo_json(data: Any) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())


async def _tenant_id(db: Database, ref: str) -> str:
    """Tenants may be named by id or by name."""
    if ref.startswith("ten_"):
        return ref
    found = await auth.find_tenant_by_name(db, ref)
    if found is None:
        raise DomainError(f"no tenant with id or name {ref!r}")
    return found["id"]


@click.group()
def main() -> None:
    """passgate: digital passes behind one GraphQL API."""


@main.command()
@click.option("--host", default=None, help="Overrides PASSGATE_HOST.")
@click.option("--port", type=int, default=None, help="Overrides PASSGATE_PORT.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes sharing the port (SO_REUSEPORT); overrides PASSGATE_WORKERS. "
                   "Default: one per core in production, one in development. More than one "
                   "needs PostgreSQL and Redis.")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API (GraphiQL at /graphql)."""
    from aiohttp import web

    from . import workers as worker_pool
    from .app import create_app
    from .migrate import NotMigrated, check_migrated
    from .wallet_defaults import WalletDefaultsError, instance_defaults

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s "
                        "%(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    async def check(db: Database) -> None:
        await check_migrated(db.engine, settings.database_url)

    try:
        _run(check)
    except NotMigrated as e:
        raise click.ClickException(str(e)) from None
    try:
        instance_defaults(settings, settings.secret)
    except WalletDefaultsError as e:
        raise click.ClickException(str(e)) from None
    host, port = host or settings.host, port or settings.port
    count = workers or settings.workers
    refusal = worker_pool.why_not_several(settings)
    if count is None:
        count = worker_pool.default_workers(settings)
        if count > 1 and refusal:
            count = 1  # the production default falls back; an explicit request is refused
    if count > 1 and refusal:
        raise click.ClickException(refusal)
    if count > 1:
        click.echo(f"passgate serving on http://{host}:{port} with {count} workers "
                   f"(GraphiQL at /graphql)")
        sys.exit(worker_pool.run(settings, host, port, count))
    click.echo(f"passgate serving on http://{host}:{port} (GraphiQL at /graphql)")
    web.run_app(create_app(settings), host=host, port=port, print=None,
                shutdown_timeout=settings.shutdown_timeout)


@main.command()
def migrate() -> None:
    """Upgrade the database schema to the newest revision."""
    from .migrate import upgrade

    upgrade(_settings().database_url)
    click.echo("database is up to date")


@main.command("init-demo")
def init_demo() -> None:
    """On first run, create tenant 'demo' (plan team) and print an all-scopes key once."""

    async def go(db: Database) -> tuple[str, auth.MintedKey | None]:
        found = await auth.find_tenant_by_name(db, "demo")
        if found is not None:
            return found["id"], None
        tenant = await auth.create_tenant(db, "demo", "team")
        return tenant["id"], await auth.create_key(db, tenant["id"], name="demo", scopes="all")

    tenant_id, key = _run(go)
    if key is None:
        click.echo(f"demo tenant {tenant_id} exists; its key was shown on first run "
                   f"(make another: passgate keys create --tenant demo)")
        return
    click.echo("")
    click.echo(f"Created tenant 'demo' ({tenant_id}) on plan team with an all-scopes API key.")
    click.echo("This key is shown once; keep it:")
    click.echo("")
    click.echo(f"    {key.key}")
    click.echo("")


@main.group()
def tenants() -> None:
    """Manage tenants."""


@tenants.command("create")
@click.argument("name")
@click.option("--plan", default="free", show_default=True,
              type=click.Choice(["free", "starter", "pro", "team", "enterprise"]))
@click.option("--json", "as_json", is_flag=True, help="Print {id, name, plan}.")
def tenants_create(name: str, plan: str, as_json: bool) -> None:
    row = _run(lambda db: auth.create_tenant(db, name, plan))
    if as_json:
        _echo_json({"id": row["id"], "name": row["name"], "plan": row["plan"]})
    else:
        click.echo(f"created tenant {row['id']} ({row['name']}, plan {row['plan']})")


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True)
def tenants_list(as_json: bool) -> None:
    rows = _run(auth.list_tenants)
    if as_json:
        _echo_json([{k: r[k] for k in ("id", "name", "plan", "created_at")} for r in rows])
        return
    for r in rows:
        click.echo(f"{r['id']}  {r['plan']:<10}  {r['name']}")


@tenants.command("limits")
@click.argument("tenant_ref")
@click.option("--key", "key_id", help="Override one key (key_…) instead of the tenant.")
@click.option("--read", type=int)
@click.option("--write", type=int)
@click.option("--validate", type=int)
@click.option("--admin", type=int)
@click.option("--clear", multiple=True, type=click.Choice(["read", "write", "validate", "admin"]),
              help="Return a class to its default; may be repeated.")
def tenants_limits(tenant_ref: str, key_id: str | None, clear: tuple[str, ...],
                   **values: int | None) -> None:
    """Show or override per-minute rate limits (plan defaults otherwise)."""
    from resolvers.limits import update_limits

    changes: dict[str, int | None] = {k: v for k, v in values.items() if v is not None}
    changes.update({k: None for k in clear})

    async def go(db: Database) -> dict[str, Any]:
        return await update_limits(db, await _tenant_id(db, tenant_ref), changes, key_id=key_id)

    _echo_json(_run(go))


@main.group()
def keys() -> None:
    """Manage API keys (shown once, stored hashed)."""


@keys.command("create")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
@click.option("--name", default="default", show_default=True)
@click.option("--scopes", default="all", show_default=True,
              help="Space or comma separated, e.g. 'passes:read scans:write', 'templates:*', "
                   "or 'all'.")
@click.option("--dialect", type=click.Choice(auth.DIALECTS), default="native",
              show_default=True,
              help="Which vendor API the key's clients speak on shared /api/v1 paths.")
@click.option("--json", "as_json", is_flag=True,
              help="Print {id, key, prefix, scopes, dialect}; an accessgrid credential prints "
                   "account_id and secret_key instead of key.")
def keys_create(tenant_ref: str, name: str, scopes: str, dialect: str, as_json: bool) -> None:
    async def go(db: Database) -> auth.MintedKey:
        return await auth.create_key(db, await _tenant_id(db, tenant_ref), name=name,
                                     scopes=scopes, dialect=dialect,
                                     server_secret=_settings().secret)

    key = _run(go)
    shown = minted_key_json(key)
    if as_json:
        _echo_json(shown)
        return
    click.echo(f"created {dialect} key {key.id} with scopes {' '.join(key.scopes)}")
    if key.account_id:
        click.echo(f"account_id: {key.account_id}")
        click.echo(f"secret_key (shown once): {key.key}")
    else:
        click.echo(f"key (shown once): {key.key}")


def minted_key_json(key: auth.MintedKey) -> dict[str, Any]:
    """What ``keys create --json`` prints: the AccessGrid SDK's own names for a credential."""
    out: dict[str, Any] = {"id": key.id, "prefix": key.prefix, "scopes": key.scopes,
                           "dialect": key.dialect}
    if key.account_id:
        out.update(account_id=key.account_id, secret_key=key.key)
    else:
        out["key"] = key.key
    return out


@keys.command("list")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
@click.option("--json", "as_json", is_flag=True)
def keys_list(tenant_ref: str, as_json: bool) -> None:
    async def go(db: Database) -> list[dict[str, Any]]:
        return await auth.list_keys(db, await _tenant_id(db, tenant_ref))

    rows = _run(go)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else "active"
        click.echo(f"{r['id']}  {r['prefix']}…{r['last4']}  {state:<7}  {r['name']}  "
                   f"{' '.join(r['scopes'])}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    _run(lambda db: auth.revoke_key(db, key_id))
    click.echo(f"revoked {key_id} (running servers stop accepting it within a second)")


@keys.command("rotate")
@click.argument("key_id")
@click.option("--grace", "grace_seconds", type=int, default=0, show_default=True,
              help="Seconds the old secret keeps working.")
@click.option("--json", "as_json", is_flag=True,
              help="Print {id, key, prefix, scopes, previous_expires_at}.")
def keys_rotate(key_id: str, grace_seconds: int, as_json: bool) -> None:
    """A new secret for a key; the old one stops after the grace period."""

    async def go(db: Database) -> tuple[auth.MintedKey, Any]:
        found = await auth.key_info(db, key_id)
        if found is None:
            raise DomainError(f"no API key {key_id!r}")
        return await auth.rotate_key(db, found["tenant_id"], key_id, grace_seconds)

    key, stops = _run(go)
    if as_json:
        _echo_json({"id": key.id, "key": key.key, "prefix": key.prefix, "scopes": key.scopes,
                    "previous_expires_at": stops.isoformat()})
    else:
        click.echo(f"created key {key.id}; {key_id} stops working at {stops.isoformat()}")
        click.echo(f"key (shown once): {key.key}")


@main.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from schema.schema import schema

    sys.stdout.write(str(schema) + "\n")


@main.group()
def wallet() -> None:
    """Apple and Google Wallet identities per tenant (private keys are stored sealed)."""


def _wallet_json(row: Any) -> dict[str, Any]:
    from resolvers.wallet.settings import describe

    return describe(row)


@wallet.command("apple")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
@click.option("--pass-type-id", required=True, help="e.g. pass.com.example.tickets")
@click.option("--team-id", required=True, help="The 10-character Apple team identifier.")
@click.option("--cert", "cert_file", required=True, type=click.File("rb"),
              help="The pass type certificate: PEM or DER, or a PKCS#12 (.p12) holding the "
                   "key too.")
@click.option("--key", "key_file", type=click.File("rb"),
              help="Its private key, PEM (not needed with a .p12).")
@click.option("--key-password", help="Password of the key or the .p12, if any.")
@click.option("--wwdr", "wwdr_file", required=True, type=click.File("rb"),
              help="Apple's WWDR intermediate (G4 for certificates issued after 2022-01-27).")
@click.option("--organization", help="Organisation name shown by Wallet (default: the "
                                     "certificate's O).")
def wallet_apple(tenant_ref: str, pass_type_id: str, team_id: str, cert_file: Any,
                 key_file: Any, key_password: str | None, wwdr_file: Any,
                 organization: str | None) -> None:
    """Set a tenant's Apple Wallet identity; prints it (without the key)."""
    from resolvers.wallet import settings as ws

    cert_data, wwdr_data = cert_file.read(), wwdr_file.read()
    key_data = key_file.read() if key_file is not None else None

    async def go(db: Database) -> Any:
        cert, key, wwdr = ws.apple_material(certificate=cert_data, private_key=key_data,
                                            key_password=key_password, wwdr=wwdr_data)
        return await ws.set_apple(db, _settings().secret, await _tenant_id(db, tenant_ref),
                                  pass_type_id=pass_type_id, team_id=team_id,
                                  organization=organization, certificate=cert, key=key,
                                  wwdr=wwdr)

    _echo_json(_wallet_json(_run(go)))


@wallet.command("apns-key")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
@click.option("--key-id", required=True, help="The APNs auth key's 10-character id.")
@click.option("--p8", "p8_file", required=True, type=click.File("rb"),
              help="The AuthKey_<id>.p8 file.")
def wallet_apns_key(tenant_ref: str, key_id: str, p8_file: Any) -> None:
    """Push with APNs token authentication (ES256 JWT) instead of the pass certificate."""
    from resolvers.wallet import settings as ws

    data = p8_file.read()

    async def go(db: Database) -> Any:
        kid, key = ws.load_apns_key(key_id, data)
        return await ws.set_apns_key(db, _settings().secret, await _tenant_id(db, tenant_ref),
                                     kid, key)

    _echo_json(_wallet_json(_run(go)))


@wallet.command("google")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
@click.option("--issuer-id", required=True, help="The issuer id from the Google Wallet console.")
@click.option("--service-account", "sa_file", required=True, type=click.File("rb"),
              help="The service-account JSON key file (client_email, private_key).")
def wallet_google(tenant_ref: str, issuer_id: str, sa_file: Any) -> None:
    """Set a tenant's Google Wallet issuer; prints it (without the key)."""
    from resolvers.wallet import settings as ws

    data = sa_file.read()

    async def go(db: Database) -> Any:
        email, key = ws.parse_service_account(data)
        return await ws.set_google(db, _settings().secret, await _tenant_id(db, tenant_ref),
                                   issuer_id=issuer_id, service_account_email=email, key=key)

    _echo_json(_wallet_json(_run(go)))


@wallet.command("show")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
def wallet_show(tenant_ref: str) -> None:
    """Print a tenant's wallet identities (never the keys)."""
    from resolvers.wallet import settings as ws

    async def go(db: Database) -> Any:
        return await ws.get_settings(db, await _tenant_id(db, tenant_ref))

    _echo_json(_wallet_json(_run(go)))


@main.command("import")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
@click.option("--from", "fmt", required=True,
              type=click.Choice(["native", "passengine", "accessgrid", "walletcrew", "csv"]),
              help="Whose export FILE is: a dialect's pass objects, or CSV with the columns "
                   "of `passgate export --format csv`.")
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True,
              help='Print {"imported", "skipped", "refused", "refusals": [...]}.')
def import_passes(tenant_ref: str, fmt: str, file: Any, as_json: bool) -> None:
    """Import passes from FILE (JSON, NDJSON or CSV; - for stdin), keeping codes, vendor ids,
    holders, validity, states, use counts and metadata. Runs again safely: passes already
    imported (same code or vendor id) are skipped. Exits 1 when a record was refused."""
    from schema.schema import schema

    from . import transfer

    settings = _settings()

    async def go(db: Database) -> transfer.Report:
        graph = transfer.Graph(db, settings, await transfer.tenant_principal(db, tenant_ref),
                               schema)
        return await transfer.run_import(graph, fmt, file, transfer.terminal_progress())

    try:
        report = _run(go)
    except transfer.imports.BadFile as e:
        raise click.ClickException(f"{file.name}: {e}") from None
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if as_json:
        _echo_json(report.summary())
    else:
        click.echo(f"imported {report.imported}, skipped {report.skipped} (already there), "
                   f"refused {len(report.refusals)}")
        if report.unlinked:
            click.echo(f"{report.unlinked} template or customer references this tenant does "
                       "not have were left out")
        for r in report.refusals:
            what = r["code"] or r["externalId"] or ""
            click.echo(f"  record {r['record']} {what}: {r['reason']}".replace("  ", " ", 1))
    if report.refusals:
        sys.exit(1)


@main.command("export")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant id or name.")
@click.option("--format", "fmt", type=click.Choice(["ndjson", "csv"]), default="ndjson",
              show_default=True)
def export_passes(tenant_ref: str, fmt: str) -> None:
    """Write every pass of the tenant (deleted ones too) to stdout as native pass objects,
    in bounded memory; `passgate import --from native` (or csv) reads it back."""
    from schema.schema import schema

    from . import transfer

    settings = _settings()

    async def go(db: Database) -> int:
        graph = transfer.Graph(db, settings, await transfer.tenant_principal(db, tenant_ref),
                               schema)
        return await transfer.run_export(graph, fmt, sys.stdout.buffer)

    _run(go)


@main.command()
def worker() -> None:
    """Deliver webhooks from the outbox without serving HTTP (several may run at once)."""
    from .wallet_defaults import WalletDefaultsError, instance_defaults
    from .worker import run_standalone

    settings = _settings()
    try:
        instance_defaults(settings, settings.secret)
    except WalletDefaultsError as e:
        raise click.ClickException(str(e)) from None
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s "
                        "%(message)s")
    click.echo("passgate worker delivering webhooks")
    asyncio.run(run_standalone(settings))


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace TARGET if it exists.")
def backup_command(target: Path, force: bool) -> None:
    """Copy the SQLite database to TARGET, consistently, while servers keep writing.
    (PostgreSQL: use pg_dump.)"""
    from .backup import BackupRefused, backup

    shown = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if shown and total:
            click.echo(f"\rbackup: {100 * done // total:3d}% ({done}/{total} pages)",
                       nl=False, err=True)

    try:
        done = backup(_settings().database_url, target, force=force, progress=progress)
    except BackupRefused as e:
        raise click.ClickException(str(e)) from None
    if shown:
        click.echo("", err=True)
    click.echo(f"backed up {done.source} to {done.target}: {done.pages} pages, "
               f"{done.bytes / 1_048_576:.1f} MiB in {done.seconds:.1f} s")
