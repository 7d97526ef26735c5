"""The preflight: one valid request per role before the suite, so a wrong set-up is named in
seconds rather than certified for a minute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.contract.spec import Api
from conformance.core.errors import ConfigError, ConformanceFailure
from conformance.core.model import Case, Expect
from conformance.engine.recorder import Recorder
from conformance.engine.target import Engine, RunSettings, open_engine
from conformance.generation.strategies import base_body, compact, success_expectation
from conformance.preflight import diagnose
from conformance.preflight.diagnose import Setup
from conformance.profile import Profile
from conformance.results import rows
from conformance.results.document import NOT_CERTIFIED, PreflightDoc, PreflightRole, Results
from conformance.results.rows import Row

PREFLIGHT = "(preflight)"
# The fixture a suite test takes -> the role it needs set up.
ROLES = {"recorder": "wallet", "provider": "provider", "gateway": "gateway"}


@dataclass(frozen=True)
class PreflightFinding:
    """One role: what came back, and when the set-up is wrong, what is wrong and the fix."""

    role: str
    where: str
    found: str
    problem: str = ""
    fix: str = ""
    answered: bool = True  # an HTTP answer came back (False: the target is unreachable)

    @property
    def ok(self) -> bool:
        return not self.problem

    def line(self) -> str:
        if self.ok:
            return f"{self.role} at {self.where}: {self.found}"
        return f"{self.role} at {self.where}: {self.problem}; fix: {self.fix}"


@dataclass(frozen=True)
class Preflight:
    """Every role's finding; the judged exchange of each role found wrong, as a test records it."""

    findings: tuple[PreflightFinding, ...] = ()
    records: tuple[Row, ...] = ()
    transcript: tuple[Mapping[str, Any], ...] = ()
    requests: int = 0
    disturbed: int = 0  # attempts the network spoiled, each re-sent: one does not fail a set-up

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def answered(self) -> bool:
        return all(f.answered for f in self.findings)

    def reasons(self) -> list[str]:
        return [f"preflight: {f.line()}" for f in self.findings if not f.ok]

    def document(self) -> PreflightDoc:
        """The results document's `preflight` member."""
        roles: list[PreflightRole] = [
            {"role": f.role, "where": f.where, "found": f.found, "problem": f.problem, "fix": f.fix}
            for f in self.findings
        ]
        doc: PreflightDoc = {"passed": self.ok, "requests": self.requests, "roles": roles}
        if self.disturbed:
            doc["disturbances"] = self.disturbed
        return doc

    def __add__(self, other: Preflight) -> Preflight:
        return Preflight(
            self.findings + other.findings,
            self.records + other.records,
            self.transcript + other.transcript,
            self.requests + other.requests,
            self.disturbed + other.disturbed,
        )


def configured(profile: Profile) -> set[str]:
    """The roles a profile sets up: the wallet (with a valid token), the provider, the gateway."""
    found = {"wallet"} if any(t.state == "valid" for t in profile.tokens) else set()
    return found | {r for r in ("provider", "gateway") if getattr(profile, r) is not None}


def roles(fixturenames: Iterable[str]) -> set[str]:
    """The roles a suite test needs, from the fixtures it takes."""
    return {ROLES[name] for name in fixturenames if name in ROLES}


def run(
    profile: Profile, wanted: Iterable[str], reference: str | None = None, listen: bool = False
) -> Preflight:
    """Check each wanted role the profile configures; the embedded wallet when reference is set."""
    wanted, found = set(wanted) & configured(profile), Preflight()
    with open_engine(profile, RunSettings(examples=1), reference) as engine:
        if "wallet" in wanted:
            found += _wallet(engine)
        if "provider" in wanted:
            from conformance.engine.provider import open_provider

            with open_provider(engine, reference) as served:
                found += _provider(served, profile)
        if "gateway" in wanted:
            found += _gateway(engine.profile, listen)
    return found


def annotate(results: Results, preflight: Preflight) -> None:
    """Record the preflight in a results document; a failed one makes the verdict and comes first
    among its reasons."""
    results["preflight"] = preflight.document()
    if not preflight.ok:
        results["verdict"] = NOT_CERTIFIED
        results["reasons"] = preflight.reasons() + list(results["reasons"])


def _server(engine: Engine, setup: Setup, case: Case) -> Preflight:
    """Send one valid, signed request and diagnose the answer."""
    rec = Recorder(engine, PREFLIGHT)
    try:
        ex = rec.send(case)
    except ConformanceFailure:
        ex = rec.answer(case)
    wrong = diagnose.answer(ex, setup)
    problem, fix = wrong or ("", "")
    finding = PreflightFinding(
        setup.role, setup.url, diagnose.summary(ex), problem, fix, ex.response is not None
    )
    disturbed = sum(rec.disturbances.values())
    if finding.ok:
        return Preflight((finding,), requests=rec.requests, disturbed=disturbed)
    # What went wrong, and whether an answer came: one exchange certifies nothing else.
    judged = rows.judged(rec).items()
    failed = {rid: j for rid, j in judged if j.failures or rid.endswith("TRANSPORT-ANSWER")}
    records = (Row(PREFLIGHT, failed),)
    return Preflight((finding,), records, tuple(rec.transcript), rec.requests, disturbed)


@dataclass(frozen=True)
class Server:
    """A server role the preflight sends one valid request: who answers, and where the profile
    writes each setting the request is sent with."""

    role: str
    server: str  # who answers
    public_hint: str  # where the public half of its signing key is to be found
    table: str  # where base_url is written
    # Setup's client_id, signing_key, key_version, peer_key and timeout, each read as `key` from
    # the role's settings and named `[table] key` in a diagnosis.
    written: tuple[tuple[str, str], ...]


WALLET = Server(
    "wallet (inquiryUserInfo)",
    "the wallet",
    "`conformance init` wrote it to keys/suite-public.pem",
    "[target]",
    (
        ("[target]", "client_id"),
        ("[keys]", "suite_private_key"),
        ("[keys]", "key_version"),
        ("[keys]", "wallet_public_key"),
        ("[target]", "timeout"),
    ),
)
PROVIDER = Server(
    "Alipay+ server (prepareAuthInfo)",
    "the Alipay+ server",
    "the wallet's public key, as registered for its Client-Id",
    "[provider]",
    tuple(
        ("[provider]", key)
        for key in ("client_id", "signing_key", "key_version", "public_key", "timeout")
    ),
)


def _setup(
    server: Server, api: str, base_url: str, path: tuple[str, str], settings: object
) -> Setup:
    """The role as the profile states it: path is (the path, where it is written), settings
    the object its other values are read from."""
    # Setup takes each value followed by where it is written: (value, "[table] key") pairs.
    client, key, version, peer, timeout = (
        (getattr(settings, name), f"{table} {name}") for table, name in server.written
    )
    return Setup(
        server.role,
        api,
        server.server,
        server.table,
        base_url,
        *path,
        *client,
        *key,
        *version,
        *peer,
        server.public_hint,
        *timeout,
    )


def _valid(api: Api, profile: Profile, key: str, expect: Expect, token: str | None) -> Case:
    """The preflight's one valid request of an API."""
    body = compact(base_body(api, profile, key))
    return Case(api.name, "valid", body, expect, token=token, note="preflight")


def _wallet(engine: Engine) -> Preflight:
    p = engine.profile
    assert p.suite_private_key is not None and p.wallet_public_key is not None  # [target] is set
    token = next(t for t in p.tokens if t.state == "valid")
    api = engine.contract.apis["inquiryUserInfo"]
    case = _valid(api, p, token.access_token, success_expectation(token), token.access_token)
    path = (p.path(api.name), f"[target.paths] {api.name}")
    return _server(engine, _setup(WALLET, api.name, p.base_url, path, p), case)


def _provider(engine: Engine, profile: Profile) -> Preflight:
    from conformance.engine.provider import API

    settings = profile.provider
    assert settings is not None
    api = engine.contract.apis[API]
    case = _valid(api, profile, settings.auth_urls[0], Expect("success", "VALID-SUCCESS"), None)
    path = (settings.path, "[provider] path")
    return _server(engine, _setup(PROVIDER, API, engine.profile.base_url, path, settings), case)


def _gateway(profile: Profile, listen: bool) -> Preflight:
    """The gateway's port can be served and, unless listening, the wallet's trigger answers."""
    from conformance.gateway.play import _bindable

    gw, trigger = profile.gateway, profile.trigger
    assert gw is not None
    where = f"{gw.host}:{gw.port}"
    try:
        _bindable(gw.host, gw.port)
        findings = [PreflightFinding("gateway (prepareAuthInfo)", where, "the port can be served")]
    except ConfigError as exc:
        problem = f"{exc.where}: {exc.problem}"
        findings = [PreflightFinding("gateway (prepareAuthInfo)", where, "", problem, exc.fix)]
    if trigger is not None and not listen:
        if trigger.command:
            where = " ".join(trigger.command)
            found, wrong = diagnose.trigger_command(trigger.command)
        else:
            where = trigger.url or profile.base_url + (trigger.path or "")
            field = "[trigger] url" if trigger.url else "[target] base_url or [trigger] path"
            found, wrong = diagnose.trigger_url(where, field, min(trigger.timeout, 10.0))
        findings.append(PreflightFinding("trigger", where, found, *(wrong or ("", ""))))
    return Preflight(tuple(findings))
