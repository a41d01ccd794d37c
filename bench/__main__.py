"""`python -m bench`: load citizen-idp (and, to compare, panva's node oidc-provider) on this
machine and print, per scenario, the rate, latency percentiles, errors and the server's CPU
and memory. See bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import citizen_idp, measure, signin
from bench.citizen_idp import REDIRECT_URI

HERE = Path(__file__).resolve().parent
LUA = HERE / "lua"
CORES = os.cpu_count() or 1
IDP_PORT = 18080
NODE_PORT = 18090
NODE_FOLDER = Path(tempfile.gettempdir()) / "citizen-idp-bench-oidc-provider"
PACED_FRACTION = 0.7
PROFILE_DIR: Path | None = None  # set by --profile

WRK_SCENARIOS = ("discovery", "jwks", "token", "refresh", "userinfo", "introspection")
SCENARIOS = (*WRK_SCENARIOS, "signin")
# Issue 8's targets, requests (or sign-ins) a second on this machine.
TARGETS = {"token": 1500, "refresh": 1500, "userinfo": 3000}
NODE_TARGET_RATIO = 0.8  # discovery and JWKS, against node oidc-provider


@dataclass(slots=True)
class Row:
    server: str
    scenario: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_cores: float
    rss_mib: float
    load: str
    note: str = ""

    @property
    def per_core(self) -> float:
        return self.rps / CORES

    @property
    def cpu_ms_each(self) -> float:
        """Server CPU time per request (or sign-in): steadier than the rate on a busy machine."""
        return self.cpu_cores * 1000 / self.rps if self.rps else math.nan


def wrk(
    script: str,
    url: str,
    env: dict[str, str],
    *,
    duration: float,
    connections: int,
    threads: int,
    server_pid: int,
    server: str,
    scenario: str,
    delay_ms: float = 0,
) -> Row:
    environ = {
        **os.environ,
        **env,
        "BENCH_LUA": str(LUA),
        "BENCH_THREADS": str(threads),
        "BENCH_DELAY_MS": f"{delay_ms:.0f}",
    }
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        url,
    ]
    profiler = _profiler(server_pid, f"{server}-{scenario}-{delay_ms:.0f}", duration)
    with measure.Watch(server_pid) as usage:
        done = subprocess.run(
            command, env=environ, capture_output=True, text=True, timeout=duration + 60
        )
    if profiler is not None:
        profiler.wait(timeout=60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if not lines:
        raise RuntimeError(f"wrk gave no summary:\n{done.stdout}\n{done.stderr}")
    result = json.loads(lines[0][len("BENCH ") :])
    seconds = result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Row(
        server=server,
        scenario=scenario,
        rps=result["requests"] / seconds,
        p50_ms=result["p50_us"] / 1000,
        p95_ms=result["p95_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=errors,
        requests=result["requests"],
        cpu_cores=usage.cpu_seconds / seconds,
        rss_mib=usage.peak_rss / 2**20,
        load=f"{usage.load_start:.1f}→{usage.load_end:.1f}",
    )


def _profiler(pid: int, name: str, duration: float) -> subprocess.Popen[bytes] | None:
    """With --profile, py-spy samples every worker of ``pid`` for ``duration``; `python -m
    bench.profile FILE` reads what it writes."""
    if PROFILE_DIR is None:
        return None
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(max(1, round(duration))),
            "--format",
            "raw",
            "--output",
            str(PROFILE_DIR / f"{name}.txt"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def paced(connections: int, rate: float) -> tuple[int, float]:
    """Connections and the pause (ms) wrk makes before each connection's next request, so
    that together they send at most ``rate`` requests a second (less by the answers' own
    time): as many connections as keep each one's pause at 100 ms or more, at most
    ``connections``, so that a slow rate still fits many requests into a short run."""
    count = max(1, min(connections, int(rate / 10)))
    return count, count * 1000 / rate


@dataclass(frozen=True, slots=True)
class Argon2Bound:
    per_second: float
    """Verifications a second on every core at once, as measured (lower on a busy machine)."""
    cpu_ms: float
    """CPU time of one verification: the bound on an idle machine is CORES / this."""

    @property
    def idle_per_second(self) -> float:
        return CORES * 1000 / self.cpu_ms


def argon2_bound(seconds: float) -> Argon2Bound:
    """Password verifications with the provider's Argon2id parameters, on every core."""
    with ProcessPoolExecutor(CORES) as pool:
        done = list(pool.map(_verify_for, [seconds] * CORES))
    count = sum(n for n, _ in done)
    return Argon2Bound(count / seconds, sum(cpu for _, cpu in done) * 1000 / count)


def _verify_for(seconds: float) -> tuple[int, float]:
    from idp.authn.password import HASHER

    stored = HASHER.hash(citizen_idp.PASSWORD)
    count = 0
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        HASHER.verify(stored, citizen_idp.PASSWORD)
        count += 1
    return count, time.process_time() - cpu


async def _real_sign_ins(
    base: str, portal: citizen_idp.Portal, accounts: signin.Accounts, count: int
) -> tuple[list[dict[str, Any]], tuple[str, str]]:
    """``count`` real sign-ins ending in a token response, and one ending in a code left
    unredeemed: the model for the codes and tokens the scenarios redeem."""
    results = signin.Results()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:

        async def one(redeem: bool) -> Any:
            taken = await accounts.take(time.monotonic() + 60)
            assert taken is not None, "no account can sign in"
            account, step = taken
            try:
                return await signin.sign_in(
                    http, base, portal, account.citizen, step, results, redeem=redeem
                )
            finally:
                account.last_step = step
                accounts.give_back(account)

        tokens = list(await asyncio.gather(*(one(True) for _ in range(count))))
        template = await one(False)
    return tokens, template


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def run_citizen_idp(args: argparse.Namespace, work: Path) -> tuple[list[Row], Argon2Bound | None]:
    rows: list[Row] = []
    env = citizen_idp.environment(work / "instance", IDP_PORT, args.redis_db)
    started = time.monotonic()
    portal, citizens = citizen_idp.prepare(env, citizens=args.citizens)
    print(f"prepared {len(citizens)} accounts in {time.monotonic() - started:.0f} s", flush=True)
    base = f"http://127.0.0.1:{IDP_PORT}"
    basic = "Basic " + _basic(portal.client_id, portal.client_secret)
    accounts = signin.Accounts(deque(signin.Account(c) for c in citizens))
    wrk_env = {"BENCH_BASIC": basic, "BENCH_REDIRECT_URI": REDIRECT_URI}
    bound: Argon2Bound | None = None
    with citizen_idp.serving(env, IDP_PORT, args.workers, work / "idp.log") as pid:
        signed_in, (template, verifier) = asyncio.run(_real_sign_ins(base, portal, accounts, 4))
        assert all("refresh_token" in t for t in signed_in)
        # Refresh families: a few per connection, since each rotation needs the last answer.
        tokens = citizen_idp.mint_tokens(env, template, args.connections * 2)
        access = _write(work / "access.txt", [t["access_token"] for t in signed_in + tokens])
        paths = {"discovery": "/.well-known/openid-configuration", "jwks": "/jwks.json"}

        def one(scenario: str, duration: float, delay_ms: float = 0, connections: int = 0) -> Row:
            script, extra = "bearer.lua", {"BENCH_FILE": str(access)}
            if scenario in paths:
                script, extra = "get.lua", {"BENCH_PATH": paths[scenario]}
            elif scenario == "token":
                codes = citizen_idp.mint_codes(env, template, args.codes)
                codes_file = _write(work / f"codes-{time.monotonic_ns()}.txt", codes)
                script, extra = (
                    "token.lua",
                    {"BENCH_FILE": str(codes_file), "BENCH_VERIFIER": verifier},
                )
            elif scenario == "refresh":
                seeds = [t["refresh_token"] for t in tokens]
                tokens.clear()
                seed_file = _write(work / f"refresh-{time.monotonic_ns()}.txt", seeds)
                script, extra = "refresh.lua", {"BENCH_FILE": str(seed_file)}
            else:
                extra["BENCH_PATH"] = "/userinfo" if scenario == "userinfo" else "/introspect"
            return wrk(
                script,
                base,
                wrk_env | extra,
                duration=duration,
                server_pid=pid,
                scenario=scenario,
                delay_ms=delay_ms,
                connections=connections or args.connections,
                threads=min(args.threads, connections or args.connections),
                server="citizen-idp",
            )

        for scenario in args.scenario:
            if scenario == "signin":
                rows += _signin_rows(args, base, portal, accounts, pid)
                continue
            best = one(scenario, args.duration)
            rows.append(best)
            _print_row(best)
            if scenario == "refresh":
                # The paced run needs fresh families: the first run's rotations used these.
                tokens += citizen_idp.mint_tokens(env, template, args.connections * 2)
            connections, delay_ms = paced(args.connections, PACED_FRACTION * best.rps)
            paced_row = one(scenario, args.duration / 2, delay_ms, connections)
            paced_row.scenario = f"{scenario} @70%"
            share = paced_row.rps / max(best.rps, 1e-9)
            paced_row.note = f"{connections} connections paced: {share:.0%} of max"
            rows.append(paced_row)
            _print_row(paced_row)
        if args.hold:
            # For a profiler: `py-spy top --pid <worker>` while loading it by hand.
            print(f"holding {base} (gunicorn {pid}) for {args.hold:.0f} s; work in {work}")
            time.sleep(args.hold)
    if "signin" in args.scenario:
        bound = argon2_bound(3)
    return rows, bound


def _basic(client_id: str, secret: str) -> str:
    import base64
    from urllib.parse import quote

    # RFC 6749 §2.3.1: form-encode, then Base64.
    return base64.b64encode(
        f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    ).decode()


def _signin_rows(
    args: argparse.Namespace,
    base: str,
    portal: citizen_idp.Portal,
    accounts: signin.Accounts,
    pid: int,
) -> list[Row]:
    rows = []
    best = None
    for label, duration, rate in (
        ("signin", args.signin_duration, None),
        ("signin @70%", args.signin_duration / 2, "paced"),
    ):
        if rate == "paced":
            assert best is not None
            rate = PACED_FRACTION * best.rps
        profiler = _profiler(pid, f"citizen-idp-{label.replace(' ', '')}", duration)
        with measure.Watch(pid) as usage:
            started = time.monotonic()
            results = asyncio.run(
                signin.run(
                    base,
                    portal,
                    accounts,
                    concurrency=args.citizens_at_once,
                    duration=duration,
                    rate=rate,
                )
            )
            elapsed = time.monotonic() - started
        if profiler is not None:
            profiler.wait(timeout=60)
        latencies = sorted(results.latencies) or [math.nan]
        row = Row(
            server="citizen-idp",
            scenario=label,
            rps=len(results.latencies) / elapsed,
            p50_ms=_percentile(latencies, 50) * 1000,
            p95_ms=_percentile(latencies, 95) * 1000,
            p99_ms=_percentile(latencies, 99) * 1000,
            errors=sum(results.errors.values()),
            requests=len(results.latencies),
            cpu_cores=usage.cpu_seconds / elapsed,
            rss_mib=usage.peak_rss / 2**20,
            load=f"{usage.load_start:.1f}→{usage.load_end:.1f}",
            note=" ".join(f"{k}×{v}" for k, v in sorted(results.errors.items())),
        )
        if results.consent_pages:
            row.note += f" consent page shown {results.consent_pages}×"
        best = best or row
        rows.append(row)
        _print_row(row)
    return rows


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def run_oidc_provider(args: argparse.Namespace, work: Path) -> list[Row]:
    """The same wrk scenarios against panva's oidc-provider, installed from the npm registry."""
    if not (NODE_FOLDER / "node_modules" / "oidc-provider").exists():
        NODE_FOLDER.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_FOLDER),
                "oidc-provider",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    shutil.copy(HERE / "node" / "server.mjs", NODE_FOLDER / "server.mjs")
    version = json.loads(
        (NODE_FOLDER / "node_modules" / "oidc-provider" / "package.json").read_text()
    )["version"]
    client_id, secret = "bench-portal", os.urandom(16).hex()
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "BENCH_PORT": str(NODE_PORT),
        "BENCH_WORKERS": str(args.workers),
        "BENCH_CLIENT_ID": client_id,
        "BENCH_CLIENT_SECRET": secret,
    }
    base = f"http://127.0.0.1:{NODE_PORT}"
    rows = []
    with (work / "node.log").open("w") as log:
        process = subprocess.Popen(
            ["node", str(NODE_FOLDER / "server.mjs")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            citizen_idp.wait_until_up(f"{base}/.well-known/openid-configuration", process)
            wrk_env = {"BENCH_BASIC": "Basic " + _basic(client_id, secret)}
            for scenario, script, path in (
                ("discovery", "get.lua", "/.well-known/openid-configuration"),
                ("jwks", "get.lua", "/jwks"),
                ("token", "client_credentials.lua", "/token"),
            ):
                if scenario not in args.scenario:
                    continue
                row = wrk(
                    script,
                    base,
                    wrk_env | {"BENCH_PATH": path},
                    duration=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                    server_pid=process.pid,
                    server=f"oidc-provider {version}",
                    scenario=scenario,
                )
                if scenario == "token":
                    row.note = "client_credentials, in memory (no code grant to compare)"
                rows.append(row)
                _print_row(row)
        finally:
            process.terminate()
            process.wait(timeout=20)
    return rows


HEADER = (
    f"| server | scenario | per s | per core ({CORES}) | p50 ms | p95 ms | p99 ms | errors "
    "| server CPU (cores) | CPU ms each | server RSS MiB | load avg | note |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
)


def _format(row: Row) -> str:
    return (
        f"| {row.server} | {row.scenario} | {row.rps:,.0f} | {row.per_core:,.0f} "
        f"| {row.p50_ms:.1f} | {row.p95_ms:.1f} | {row.p99_ms:.1f} | {row.errors} "
        f"| {row.cpu_cores:.2f} | {row.cpu_ms_each:.2f} | {row.rss_mib:.0f} | {row.load} "
        f"| {row.note} |"
    )


def _print_row(row: Row) -> None:
    print(_format(row), flush=True)


def summary(rows: list[Row], bound: Argon2Bound | None) -> list[str]:
    """Ratios to node oidc-provider and to issue 8's targets."""
    ours = {r.scenario: r for r in rows if r.server == "citizen-idp"}
    node = {r.scenario: r for r in rows if r.server.startswith("oidc-provider")}
    lines = []
    for scenario in ("discovery", "jwks", "token"):
        if scenario in ours and scenario in node:
            ratio = ours[scenario].rps / node[scenario].rps
            goal = f" (target ≥ {NODE_TARGET_RATIO})" if scenario != "token" else ""
            lines.append(f"- {scenario}: {ratio:.2f}× node oidc-provider{goal}")
    for scenario, target in TARGETS.items():
        if scenario in ours:
            lines.append(
                f"- {scenario}: {ours[scenario].rps:,.0f}/s = {ours[scenario].rps / target:.2f}× "
                f"the target of {target:,}/s"
            )
    for scenario, row in ours.items():
        if scenario.endswith("@70%") and row.requests:
            verdict = "meets" if row.p99_ms < 50 else "misses"
            lines.append(f"- {scenario}: p99 {row.p99_ms:.1f} ms ({verdict} < 50 ms)")
    if bound is not None:
        lines.append(
            f"- Argon2id on this machine: {bound.per_second:.0f} verifications/s measured on "
            f"{CORES} cores, {bound.cpu_ms:.1f} ms of CPU each, so {bound.idle_per_second:.0f}/s "
            "when the cores are free"
        )
        if "signin" in ours:
            flows = ours["signin"]
            lines.append(
                f"- whole sign-ins: {flows.rps:.1f}/s = {flows.rps / bound.per_second:.0%} of the "
                f"measured bound; the hash is {bound.cpu_ms / flows.cpu_ms_each:.0%} of a "
                f"sign-in's server CPU ({flows.cpu_ms_each:.1f} ms; target ≥ 85 %)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scenario", action="append", choices=SCENARIOS, help="repeatable; default: all"
    )
    parser.add_argument(
        "--against", choices=("citizen-idp", "oidc-provider", "both"), default="both"
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (max 60)")
    parser.add_argument("--signin-duration", type=float, default=20, help="seconds (max 120)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server workers, both servers")
    parser.add_argument("--citizens", type=int, default=600, help="accounts to create")
    parser.add_argument("--citizens-at-once", type=int, default=16, help="virtual citizens")
    parser.add_argument("--codes", type=int, default=20000, help="codes made per token run")
    parser.add_argument("--redis-db", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--profile", type=Path, help="record py-spy profiles of citizen-idp's runs in this folder"
    )
    parser.add_argument(
        "--hold", type=float, default=0, help="keep citizen-idp up this long after (max 600 s)"
    )
    args = parser.parse_args()
    args.scenario = args.scenario or list(SCENARIOS)
    args.duration = min(args.duration, 60)
    args.signin_duration = min(args.signin_duration, 120)
    args.hold = min(args.hold, 600)
    if args.profile:
        global PROFILE_DIR
        args.profile.mkdir(parents=True, exist_ok=True)
        PROFILE_DIR = args.profile
    for tool in ("wrk", "node", "npm", "redis-cli", "createdb"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (bench/README.md says how)")

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=HERE,
    ).stdout.strip()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}")
    print(measure.machine(), flush=True)
    print(HEADER, flush=True)
    rows: list[Row] = []
    bound: Argon2Bound | None = None
    with tempfile.TemporaryDirectory(prefix="citizen-idp-bench-") as folder:
        work = Path(folder)
        if args.against in ("citizen-idp", "both"):
            try:
                ours, bound = run_citizen_idp(args, work)
            except Exception:
                log = work / "idp.log"
                if log.exists():
                    print("".join(log.read_text().splitlines(keepends=True)[-40:]))
                raise
            rows += ours
        if args.against in ("oidc-provider", "both"):
            rows += run_oidc_provider(args, work)
    print()
    print(HEADER)
    for row in rows:
        print(_format(row))
    print()
    print("\n".join(summary(rows, bound)))
    if args.json:
        argon2 = asdict(bound) if bound else None
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows], "argon2": argon2}))


if __name__ == "__main__":
    main()
