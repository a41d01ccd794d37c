"""The `idp` command (DESIGN.md §3, Command line)."""

from __future__ import annotations

import dataclasses
import functools
import getpass
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from idp import create_app
from idp.accounts.service import AccountError, create_account, totp_uri
from idp.audit.events import Event
from idp.audit.export import export_entries
from idp.audit.ledger import Details, record
from idp.audit.verify import Anchor, current_head, verify_ledger
from idp.consent.purposes import LEGAL_BASES, Purpose
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
from idp.oidc.logos import MAX_LOGO_BYTES
from idp.population.citizen_id import is_well_formed
from idp.population.cli import population

# How long `idp accounts reset` waits for the portals' back-channel logout deliveries.
BACKCHANNEL_WAIT_SECONDS = 15


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _record_admin(
    event: Event,
    *,
    account_id: int | None = None,
    citizen_id: str | None = None,
    client_id: str | None = None,
    details: Details,
) -> None:
    """Record an administrator's action, with the operating-system user who ran it."""
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        operator = f"uid {os.getuid()}"
    record(
        event,
        account_id=account_id,
        citizen_id=citizen_id,
        client_id=client_id,
        details={"operator": operator, **details},
    )


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """citizen-idp: an OpenID Connect provider for national e-authentication."""


@main.command()
@with_appcontext
def init() -> None:
    """Create or upgrade the schema, and create signing keys if there are none."""
    upgrade_to_latest()
    created = ensure_keys()
    for key in created:
        click.echo(f"created {key.alg} signing key {key.kid}")
    _record_admin(Event.ADMIN_SCHEMA_UPGRADED, details={"created_keys": [k.kid for k in created]})
    click.echo("database schema is up to date")


@main.command()
@with_appcontext
def cleanup() -> None:
    """Delete expired transactions, codes, tokens, sessions, client assertions, activation
    requests and passkey challenges (run it from cron)."""
    from idp.cleanup import purge_expired

    purged = purge_expired()
    _record_admin(Event.ADMIN_CLEANUP_RUN, details=dataclasses.asdict(purged))
    click.echo(
        f"deleted {purged.transactions} transactions, {purged.codes} codes, "
        f"{purged.tokens} tokens, {purged.sessions} sessions, "
        f"{purged.assertions} client assertions, {purged.activations} activation requests, "
        f"{purged.challenges} passkey challenges"
    )


# Threads per worker process: enough that the hashing slots and their queue (authn/hashing)
# leave some free for the cheap endpoints (token, userinfo, JWKS) while sign-ins are saturated.
THREADS = 8


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--threads",
    default=THREADS,
    show_default=True,
    type=click.IntRange(2),
    help="Threads per worker; more than IDP_HASHING_CONCURRENCY + IDP_HASHING_QUEUE.",
)
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the provider under gunicorn (threaded workers)."""
    hashing = current_app.config["HASHING_CONCURRENCY"] + current_app.config["HASHING_QUEUE"]
    if hashing >= threads:
        raise click.UsageError(
            f"--threads must be more than IDP_HASHING_CONCURRENCY + IDP_HASHING_QUEUE "
            f"({hashing}): otherwise sign-ins can hold every thread of a worker"
        )
    command = gunicorn_command("idp.wsgi:app", host, port, workers, threads)
    sys.exit(subprocess.call(command))  # noqa: S603


def gunicorn_command(
    target: str, host: str, port: int, workers: int, threads: int = THREADS
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        target,
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # Threads: argon2-cffi releases the GIL while hashing, so the other threads serve on.
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
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
    _record_admin(
        Event.ADMIN_ACCOUNT_CREATED,
        account_id=created.account.id,
        citizen_id=citizen_id,
        details={"identity_level": level, "with_totp": with_totp},
    )
    data: dict[str, Any] = {"citizen_id": citizen_id, "identity_level": level}
    if created.totp_secret:
        data["otpauth_uri"] = totp_uri(created.account, created.totp_secret)
    if as_json:
        _print_json(data)
    else:
        click.echo(f"account created for {citizen_id}")
        if created.totp_secret:
            click.echo(f"TOTP: {data['otpauth_uri']}")


@accounts.command("reset")
@click.argument("citizen_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def accounts_reset(citizen_id: str, as_json: bool) -> None:
    """Reset an account (an officer's action): remove its password and TOTP, end its sessions
    and revoke its tokens. The citizen activates the same account again on the web."""
    from idp.accounts.officer import reset_account

    try:
        reset = reset_account(citizen_id)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    for delivery in reset.deliveries:  # back-channel logout notices to the portals
        delivery.join(timeout=BACKCHANNEL_WAIT_SECONDS)
    _record_admin(
        Event.ADMIN_ACCOUNT_RESET,
        account_id=reset.account.id,
        details={"sessions_ended": reset.sessions_ended, "tokens_revoked": reset.tokens_revoked},
    )
    notified = reset.notified.to.masked if reset.notified else None
    if as_json:
        _print_json(
            {
                "citizen_id": citizen_id,
                "identity_level": reset.account.identity_level,
                "sessions_ended": reset.sessions_ended,
                "tokens_revoked": reset.tokens_revoked,
                "notified": notified,
            }
        )
        return
    click.echo(
        f"account of {citizen_id} reset: {reset.sessions_ended} sessions ended, "
        f"{reset.tokens_revoked} tokens revoked; the citizen activates it again"
    )
    click.echo(_notified_line(notified))


@accounts.command("verify-identity")
@click.argument("citizen_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def accounts_verify_identity(citizen_id: str, as_json: bool) -> None:
    """Record that an officer checked the citizen's identity in person: identity level 2."""
    from idp.accounts.officer import verify_identity

    try:
        verified = verify_identity(citizen_id)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    _record_admin(
        Event.ADMIN_IDENTITY_VERIFIED,
        account_id=verified.account.id,
        details={"changed": verified.changed},
    )
    notified = verified.notified.to.masked if verified.notified else None
    if as_json:
        _print_json(
            {
                "citizen_id": citizen_id,
                "identity_level": verified.account.identity_level,
                "changed": verified.changed,
                "notified": notified,
            }
        )
        return
    if not verified.changed:
        click.echo(f"account of {citizen_id} was at identity level 2 already")
        return
    click.echo(f"account of {citizen_id} is now at identity level 2")
    click.echo(_notified_line(notified))


def _notified_line(masked: str | None) -> str:
    if masked is None:
        return "no phone or e-mail address on the registry record: tell the citizen in person"
    return f"notice sent to {masked}"


@main.group()
def clients() -> None:
    """Portals registered to sign citizens in."""


def _scope_pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        scope, separator, text = value.partition("=")
        if not separator or not scope.strip() or not text.strip():
            raise click.ClickException(f"{option}: expected SCOPE=TEXT, got {value!r}")
        pairs[scope.strip()] = text.strip()
    return pairs


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
@click.option("--organisation", default="", help="Who runs the portal (default: its name).")
@click.option(
    "--purpose",
    "purposes",
    multiple=True,
    metavar="SCOPE=TEXT",
    help="Why the portal needs SCOPE, shown to citizens; required for every scope that "
    "releases data.",
)
@click.option(
    "--legal-basis",
    "legal_bases",
    multiple=True,
    metavar="SCOPE=BASIS",
    help=f"Legal basis of SCOPE: {', '.join(LEGAL_BASES)} (default consent).",
)
@click.option(
    "--essential",
    "essential_scopes",
    multiple=True,
    metavar="SCOPE",
    help="A scope the service cannot work without; citizens cannot untick it.",
)
@click.option(
    "--logo",
    "logo_file",
    type=click.File("rb"),
    help="The portal's logo (PNG or SVG, at most 64 KiB), shown on the consent page and in "
    "the public register.",
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
    texts = _scope_pairs(options["purposes"], "--purpose")
    bases = _scope_pairs(options["legal_bases"], "--legal-basis")
    if set(bases) - set(texts):
        raise click.ClickException(
            f"--legal-basis: no --purpose for {', '.join(sorted(set(bases) - set(texts)))}"
        )
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
            organisation=options["organisation"],
            purposes={
                scope: Purpose(text, bases.get(scope, "consent")) for scope, text in texts.items()
            },
            essential_scopes=list(options["essential_scopes"]),
            # One byte past the limit is enough to refuse a file that is too large.
            logo=None
            if options["logo_file"] is None
            else options["logo_file"].read(MAX_LOGO_BYTES + 1),
        )
    except RegistrationError as error:
        raise click.ClickException(str(error)) from None
    _record_admin(
        Event.ADMIN_CLIENT_CREATED,
        client_id=registration.client.client_id,
        details={
            "name": options["name"],
            "scopes": options["scope"].split(),
            "auth_method": options["auth_method"],
            "subject_type": options["subject_type"],
        },
    )
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
    _record_admin(
        Event.ADMIN_KEY_ROTATED,
        details={"kid": key.kid, "alg": key.alg, "activates_at": key.activates_at.isoformat()},
    )
    click.echo(
        f"created {key.alg} signing key {key.kid}: published now, "
        f"signs from {key.activates_at:%Y-%m-%d %H:%M:%S} UTC"
    )


@keys.command("prune")
@with_appcontext
def keys_prune() -> None:
    """Delete retired keys whose tokens have all expired (they are no longer published)."""
    deleted = prune()
    if deleted:
        _record_admin(Event.ADMIN_KEYS_PRUNED, details={"kids": [key.kid for key in deleted]})
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
    example = sandbox.activation_example()
    click.echo(sandbox.describe(setup, current_app.config["ISSUER"], portal_url, example))
    env = {**os.environ, **setup.portal_environ(current_app.config["ISSUER"], portal_url)}
    # memory:// counts failed sign-ins in each process: with one worker the demo's lock-outs
    # are the configured ones, not one per worker (docs/security-model.md#throttling).
    shared = not current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    provider = gunicorn_command("idp.wsgi:app", "127.0.0.1", idp_port, 2 if shared else 1)
    processes = [
        subprocess.Popen(provider),  # noqa: S603
        subprocess.Popen(  # noqa: S603
            gunicorn_command("relying_party_demo.wsgi:app", "127.0.0.1", portal_port, 1, 1),
            env=env,
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


@main.group()
def audit() -> None:
    """The audit ledger: verify its chain, export it, print its head."""


class _Moment(click.ParamType):  # type: ignore[type-arg]
    """An ISO 8601 date or time; UTC when it names no offset."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date or time", param, ctx)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


PROGRESS_LINE_EVERY = 100_000


@audit.command("verify")
@click.option(
    "--anchor",
    "anchor_text",
    metavar="SEQ:HASH",
    help="A head printed earlier by `idp audit anchor` and kept elsewhere: the ledger must "
    "still hold that entry with that hash.",
)
@with_appcontext
def audit_verify(anchor_text: str | None) -> None:
    """Walk the whole chain; exit with status 1 at the first entry that was changed, removed,
    inserted or moved."""
    try:
        anchor = Anchor.parse(anchor_text) if anchor_text is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--anchor") from None
    head = current_head()
    total = head.seq if head else 0
    started = time.perf_counter()
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="Verifying", file=sys.stderr) as bar:
            result = verify_ledger(anchor=anchor, progress=bar.update)
    else:  # a log (cron): a line now and then
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            if done % PROGRESS_LINE_EVERY < count:
                click.echo(f"verified {done} of {total} entries", err=True)

        result = verify_ledger(anchor=anchor, progress=progress)
    elapsed = time.perf_counter() - started
    if result.first_break is not None:
        found = result.first_break
        click.echo(f"audit ledger BROKEN at entry {found.seq} ({found.kind}): {found.detail}")
        sys.exit(1)
    click.echo(
        f"audit ledger intact: {result.entries} entries checked in {elapsed:.1f} s; "
        f"head {result.head or 'none (empty ledger)'}"
    )


@audit.command("export")
@click.option("--citizen", "citizen_id", metavar="CITIZEN_ID", help="Only this citizen's entries.")
@click.option("--since", type=_Moment(), help="From this time on (ISO 8601; UTC by default).")
@click.option("--until", type=_Moment(), help="Before this time (ISO 8601; UTC by default).")
@with_appcontext
def audit_export(citizen_id: str | None, since: datetime | None, until: datetime | None) -> None:
    """Write entries as JSON Lines to standard output, oldest first."""
    if citizen_id is not None and not is_well_formed(citizen_id):
        raise click.BadParameter("a citizen-ID number is 12 digits", param_hint="--citizen")
    for document in export_entries(citizen_id=citizen_id, since=since, until=until):
        click.echo(json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    filters = {"since": _iso(since), "until": _iso(until)}
    _record_admin(
        Event.ADMIN_LEDGER_EXPORTED,
        citizen_id=citizen_id,
        details={name: value for name, value in filters.items() if value is not None},
    )


@audit.command("anchor")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def audit_anchor(as_json: bool) -> None:
    """Print the head (last entry's number and hash) to publish or keep outside the database;
    `idp audit verify --anchor SEQ:HASH` checks the ledger still holds it."""
    head = current_head()
    if head is None or head.seq == 0:
        raise click.ClickException("the audit ledger is empty")
    if as_json:
        _print_json({"seq": head.seq, "hash": head.entry_hash})
    else:
        click.echo(str(head))


def _recorded(
    command: click.Command, event: Event, describe: Callable[[Any, dict[str, Any]], Details]
) -> None:
    """Record ``event`` after ``command`` succeeds, with the details ``describe(result, params)``
    gives; for commands of packages that know nothing of the ledger (the registry)."""
    callback = command.callback
    assert callback is not None

    @functools.wraps(callback)
    def recorded(**params: Any) -> Any:
        result = callback(**params)
        _record_admin(event, details=describe(result, params))
        return result

    command.callback = recorded


_recorded(
    population.commands["seed"],
    Event.ADMIN_POPULATION_SEEDED,
    lambda result, params: {"count": result.created},
)
_recorded(
    population.commands["import"],
    Event.ADMIN_POPULATION_IMPORTED,
    lambda result, params: {
        "file": params["file"].name,
        "created": result.created,
        "updated": result.updated,
        "rejected": result.report.invalid_lines,
    },
)
main.add_command(population)
