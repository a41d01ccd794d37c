"""The `idp` command (DESIGN.md §3, Command line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from idp import create_app
from idp.accounts.service import AccountError, create_account, totp_uri
from idp.database import upgrade_to_latest
from idp.keys.store import (
    DEFAULT_ALG,
    SUPPORTED_ALGS,
    KeyStatus,
    ensure_keys,
    key_statuses,
    prune,
    rotate,
)
from idp.oidc.clients import (
    AUTH_METHODS,
    SUBJECT_TYPES,
    RegistrationError,
    describe,
    find_client,
    list_clients,
    register_client,
)
from idp.population.cli import population


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """citizen-idp: an OpenID Connect provider for national e-authentication."""


@main.command()
@with_appcontext
def init() -> None:
    """Create or upgrade the schema, and create signing keys if there are none."""
    upgrade_to_latest()
    for key in ensure_keys():
        click.echo(f"created {key.alg} signing key {key.kid}")
    click.echo("database schema is up to date")


@main.command()
@with_appcontext
def cleanup() -> None:
    """Delete expired transactions, codes, tokens, sessions, client assertions and passkey
    challenges (run it from cron)."""
    from idp.cleanup import purge_expired

    purged = purge_expired()
    click.echo(
        f"deleted {purged.transactions} transactions, {purged.codes} codes, "
        f"{purged.tokens} tokens, {purged.sessions} sessions, "
        f"{purged.assertions} client assertions, {purged.challenges} passkey challenges"
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Run the provider under gunicorn."""
    sys.exit(subprocess.call(gunicorn_command("idp.wsgi:app", host, port, workers)))  # noqa: S603


def gunicorn_command(target: str, host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        target,
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s %(L)ss',
    ]


@main.group()
def accounts() -> None:
    """E-ID accounts of registry citizens."""


@accounts.command("create")
@click.argument("citizen_id")
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
@click.option(
    "--level",
    type=click.IntRange(1, 2),
    default=1,
    show_default=True,
    help="Identity level: 2 when identity was proven in person.",
)
@click.option("--with-totp", is_flag=True, help="Also enrol a TOTP authenticator.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def accounts_create(
    citizen_id: str, password_stdin: bool, level: int, with_totp: bool, as_json: bool
) -> None:
    """Create the e-ID account of a registry citizen."""
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise click.UsageError("no password on standard input")
    try:
        created = create_account(citizen_id, password, identity_level=level, with_totp=with_totp)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    data: dict[str, Any] = {"citizen_id": citizen_id, "identity_level": level}
    if created.totp_secret:
        data["otpauth_uri"] = totp_uri(created.account, created.totp_secret)
    if as_json:
        _print_json(data)
    else:
        click.echo(f"account created for {citizen_id}")
        if created.totp_secret:
            click.echo(f"TOTP: {data['otpauth_uri']}")


@main.group()
def clients() -> None:
    """Portals registered to sign citizens in."""


@clients.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--scope", required=True, help='Space-separated, e.g. "openid profile".')
@click.option(
    "--auth-method",
    type=click.Choice(AUTH_METHODS),
    default="client_secret_basic",
    show_default=True,
)
@click.option(
    "--jwks",
    "jwks_file",
    type=click.File("r"),
    help="JSON file with the portal's public JWK Set (private_key_jwt).",
)
@click.option("--jwks-uri", help="URL of the portal's public JWK Set (private_key_jwt).")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--backchannel-logout-uri")
@click.option("--sector", help="Host naming the sector of pairwise subjects.")
@click.option(
    "--subject-type",
    type=click.Choice(SUBJECT_TYPES),
    default="pairwise",
    show_default=True,
)
@click.option(
    "--id-token-alg", type=click.Choice(SUPPORTED_ALGS), default="ES256", show_default=True
)
@click.option(
    "--no-pkce",
    is_flag=True,
    help="Let this confidential portal send a nonce instead of PKCE (RFC 9700 §2.1.1); "
    "for libraries and test suites that cannot do PKCE. Not allowed with --auth-method none.",
)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def clients_create(**options: Any) -> None:
    """Register a portal; prints its client_id and (once) its client_secret."""
    as_json = options.pop("as_json")
    jwks = None
    if options["jwks_file"] is not None:
        try:
            jwks = json.load(options["jwks_file"])
        except ValueError as error:
            raise click.ClickException(f"--jwks: not JSON ({error})") from None
        if not isinstance(jwks, dict):
            raise click.ClickException("--jwks: not a JWK Set (an object with a 'keys' list)")
    try:
        registration = register_client(
            name=options["name"],
            redirect_uris=list(options["redirect_uris"]),
            scope=options["scope"],
            auth_method=options["auth_method"],
            jwks=jwks,
            jwks_uri=options["jwks_uri"],
            post_logout_redirect_uris=list(options["post_logout_redirect_uris"]),
            backchannel_logout_uri=options["backchannel_logout_uri"],
            sector=options["sector"],
            subject_type=options["subject_type"],
            id_token_alg=options["id_token_alg"],
            require_pkce=not options["no_pkce"],
        )
    except RegistrationError as error:
        raise click.ClickException(str(error)) from None
    data = {"client_id": registration.client.client_id, "client_secret": registration.client_secret}
    if as_json:
        _print_json(data)
    else:
        click.echo(f"client_id:     {data['client_id']}")
        if registration.client_secret:
            click.echo(f"client_secret: {data['client_secret']}  (shown once; store it now)")


@clients.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def clients_list(as_json: bool) -> None:
    """List registered portals."""
    rows = list_clients()
    if as_json:
        _print_json([describe(c) for c in rows])
        return
    for client in rows:
        click.echo(f"{client.client_id}  {client.name}  [{client.scope}]")


@clients.command("show")
@click.argument("client_id")
@with_appcontext
def clients_show(client_id: str) -> None:
    """Show a portal's registration (never its secret)."""
    client = find_client(client_id)
    if client is None:
        raise click.ClickException("no such client")
    _print_json(describe(client))


@main.group()
def keys() -> None:
    """Signing keys."""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _describe_key(status: KeyStatus) -> dict[str, str | None]:
    return {
        "kid": status.key.kid,
        "alg": status.key.alg,
        "state": status.state.value,
        "created_at": _iso(status.key.created_at),
        "activates_at": _iso(status.key.activates_at),
        "retired_at": _iso(status.retired_at),
        "published_until": _iso(status.published_until),
    }


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def keys_list(as_json: bool) -> None:
    """List signing keys (public parts only): state, and when each signs and leaves the JWKS."""
    statuses = key_statuses()
    if as_json:
        _print_json([_describe_key(s) for s in statuses])
        return
    for status in statuses:
        line = (
            f"{status.key.kid}  {status.key.alg:<5}  {status.state.value:<7}  "
            f"signs from {status.key.activates_at:%Y-%m-%d %H:%M} UTC"
        )
        if status.published_until is not None:
            line += f", published until {status.published_until:%Y-%m-%d %H:%M} UTC"
        click.echo(line)


@keys.command("rotate")
@click.option("--alg", type=click.Choice(SUPPORTED_ALGS), default=DEFAULT_ALG, show_default=True)
@with_appcontext
def keys_rotate(alg: str) -> None:
    """Create a new key: published now, signing after IDP_KEY_PUBLISH_LEAD_TIME seconds; the
    key it replaces stays published until the tokens it signed have expired."""
    key = rotate(alg)
    click.echo(
        f"created {key.alg} signing key {key.kid}: published now, "
        f"signs from {key.activates_at:%Y-%m-%d %H:%M:%S} UTC"
    )


@keys.command("prune")
@with_appcontext
def keys_prune() -> None:
    """Delete retired keys whose tokens have all expired (they are no longer published)."""
    deleted = prune()
    for key in deleted:
        click.echo(f"deleted {key.alg} signing key {key.kid}")
    click.echo(f"deleted {len(deleted)} expired signing keys")


@main.command()
@click.option("--portal-port", default=5001, show_default=True, type=int)
@with_appcontext
def demo(portal_port: int) -> None:
    """Set up the sandbox and run the provider (on IDP_ISSUER's port) and the demo portal."""
    from idp import sandbox

    issuer = urlsplit(current_app.config["ISSUER"])
    if current_app.config["ENV"] == "production":
        raise click.ClickException("idp demo seeds public sandbox passwords: not in production")
    if issuer.hostname not in ("localhost", "127.0.0.1"):
        raise click.ClickException("idp demo serves on loopback: IDP_ISSUER must be localhost")
    idp_port = issuer.port or 80
    upgrade_to_latest()
    ensure_keys()
    portal_url = f"http://127.0.0.1:{portal_port}"
    setup = sandbox.prepare(portal_url)
    click.echo(sandbox.describe(setup, current_app.config["ISSUER"], portal_url))
    env = {**os.environ, **setup.portal_environ(current_app.config["ISSUER"], portal_url)}
    processes = [
        subprocess.Popen(gunicorn_command("idp.wsgi:app", "127.0.0.1", idp_port, 2)),  # noqa: S603
        subprocess.Popen(  # noqa: S603
            gunicorn_command("relying_party_demo.wsgi:app", "127.0.0.1", portal_port, 1), env=env
        ),
    ]
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


main.add_command(population)
