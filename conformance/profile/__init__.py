"""The target profile (TOML): what wallet to certify and with which keys and tokens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from conformance import signing
from conformance.contract.catalogue import LEVELS, Catalogue
from conformance.contract.spec import alipaycn_acquirer_id, contract
from conformance.core import tomlfile
from conformance.core.errors import ProfileError
from conformance.profile.carriers import HEADER, TEXT, flaw
from conformance.profile.limits import Limits, limits, parse_tls
from conformance.profile.sections import (
    LONGEST_CLIENT_ID,
    attach,
    key_version,
    longest,
    psp_id_longest,
)
from conformance.profile.table import Table
from conformance.profile.tls import Tls

if TYPE_CHECKING:
    from conformance.profile.sections import GatewaySettings, ProviderSettings, TriggerSettings

TOKEN_STATES = ("valid", "expired", "revoked")
PLACEHOLDER = "<fill in: "  # how `conformance init` marks a value only the wallet team knows
PATHS_FIX = 'write inquiryUserInfo = "/v1/inquiryUserInfo"'


@dataclass(frozen=True)
class Token:
    access_token: str
    scopes: frozenset[str]
    state: str = "valid"
    expect: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.state}:{'+'.join(sorted(self.scopes)) or 'no-scope'}"


@dataclass(frozen=True, eq=False)
class Profile:
    """The roles to certify; without [target] its fields stay empty and inquiryUserInfo is not
    applicable."""

    base_url: str = ""
    client_id: str = ""
    psp_id: str = ""
    acquirer_id: str = field(default_factory=alipaycn_acquirer_id)
    paths: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    suite_private_key: signing.PrivateKey | None = None
    wallet_public_key: signing.PublicKey | None = None
    key_version: str = "1"
    tokens: tuple[Token, ...] = ()
    timeout: float = 10.0
    levels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "(built in)"
    digest: str = ""
    limits: Limits = field(default_factory=Limits)
    tls: Tls = field(default_factory=Tls)
    # prepareAuthInfo: the suite's gateway, the wallet's trigger, an Alipay+-side server.
    gateway: GatewaySettings | None = None
    trigger: TriggerSettings | None = None
    provider: ProviderSettings | None = None

    @property
    def has_target(self) -> bool:
        """True when [target] names a wallet whose inquiryUserInfo server is certified."""
        return bool(self.base_url)

    def path(self, api: str) -> str:
        return self.paths[api]

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a report or log."""
        return tuple(t.access_token for t in self.tokens)


ROLES = ("target", "gateway", "provider")
# Every key a profile may hold: a misspelt one (`timout`) is refused, never silently ignored.
SECTIONS = (*ROLES, "keys", "tokens", "requirements", "limits", "tls", "trigger", "observe")
TARGET_KEYS = ("base_url", "client_id", "psp_id", "acquirer_id", "timeout", "paths")
KEY_KEYS = ("suite_private_key", "wallet_public_key", "key_version")
TOKEN_KEYS = ("access_token", "scopes", "state", "expect")
EXPECT_KEYS = ("userId", "userLoginId", "hashUserLoginId")


def tokens(root: Table) -> tuple[Token, ...]:
    """[[tokens]]: the access tokens the wallet issued, each with its state and scopes."""
    out: list[Token] = []
    for row in root.tables("tokens"):
        row.only(TOKEN_KEYS, "token setting")
        token = row.text("access_token", on=TEXT)
        if any(t.access_token == token for t in out):
            row.fail("access_token", "repeats an earlier token's", "give each token once")
        if len(token) > (most := longest("inquiryUserInfo.request.json", "accessToken")):
            row.fail(
                "access_token",
                f"is longer than {most} characters",
                f"use a token the wallet issued (at most {most} characters)",
            )
        scopes = row.strings(
            "scopes", "must be a list of scope names", '["BASE_USER_INFO"]', longest=64
        )
        known = contract().scopes()
        if unknown := [s for s in scopes or () if s not in known]:
            row.fail(
                "scopes",
                f"{', '.join(map(repr, unknown))} is not a scope of the contract",
                f"use scopes from {', '.join(known)}",
            )
        expect = row.table("expect")
        expect.only(EXPECT_KEYS, "userInfo field")
        if not all(isinstance(v, str) for v in expect.data.values()):
            row.fail(
                "expect",
                "must map userInfo field names to strings",
                'write [tokens.expect] userId = "..."',
            )
        for name, value in expect.data.items():
            if len(value) > (most := longest("User.json", name)):
                fix = f"write the value the wallet returns (at most {most} characters)"
                row.fail("expect", f"{name} is longer than {most} characters", fix)
            if (found := flaw(value, TEXT)) is not None:
                row.fail("expect", f"{name} {found}", TEXT.fix)
        state = row.choice("state", TOKEN_STATES, "valid")
        out.append(Token(token, frozenset(scopes or ()), state, tuple(sorted(expect.data.items()))))
    return tuple(out)


def levels(root: Table, catalogue: Catalogue | None) -> Mapping[str, str]:
    """[requirements]: the level the wallet team sets for a requirement ID."""
    table = root.table("requirements", 'write "ID" = "MUST"')
    for rid in table.data:
        if catalogue is not None and rid not in catalogue:
            table.fail(
                rid, "is not a known requirement ID", "see `conformance requirements` for the list"
            )
        table.choice(rid, LEVELS)
    return MappingProxyType(dict(table.data))


def _placeholder(value: Any) -> str | None:
    """What `conformance init` asks for in a value it left for the wallet team."""
    if isinstance(value, dict) and set(value) == {"env"}:
        value = value["env"]
    if isinstance(value, list):
        return next(filter(None, map(_placeholder, value)), None)
    if isinstance(value, str) and value.startswith(PLACEHOLDER):
        return value[len(PLACEHOLDER) :].rstrip(">")
    return None


def refuse_placeholders(table: Table) -> None:
    """A value `conformance init` left for the wallet team is named with what to write instead."""
    for key, value in table.data.items():
        if isinstance(value, dict) and set(value) != {"env"}:
            refuse_placeholders(table.table(key))
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            for row in table.tables(key):
                refuse_placeholders(row)
        elif (wanted := _placeholder(value)) is not None:
            table.fail(
                key,
                "is still the placeholder written by conformance init",
                f"replace it with {wanted}",
            )


def _target(target: Table) -> dict[str, Any]:
    """The [target] fields of a Profile: the wallet's inquiryUserInfo server."""
    target.only(TARGET_KEYS, "[target] setting")
    base_url = target.url("base_url", '"https://staging.wallet.example"')
    paths = target.table("paths", PATHS_FIX)
    paths.only(("inquiryUserInfo",), "known API")
    if not all(isinstance(p, str) and p.startswith("/") for p in paths.data.values()):
        paths.fail("", "must map API names to paths starting with /", PATHS_FIX)
    for api in paths.data:
        paths.url_path(api, example="/v1/inquiryUserInfo")
    if "inquiryUserInfo" not in paths:
        paths.fail(
            "inquiryUserInfo",
            "is missing",
            "add the path your wallet registered, e.g. " + PATHS_FIX.removeprefix("write "),
        )
    timeout = target.number(
        "timeout", 10.0, 0, 300, above=True, noun="a number of seconds", hint="10"
    )
    return {
        "base_url": base_url,
        "client_id": target.text("client_id", on=HEADER, longest=LONGEST_CLIENT_ID),
        "psp_id": target.text("psp_id", on=HEADER, longest=psp_id_longest()),
        "acquirer_id": target.text(
            "acquirer_id",
            alipaycn_acquirer_id(),
            on=HEADER,
            longest=longest("inquiryUserInfo.request.json", "acquirerId"),
        ),
        "paths": MappingProxyType(dict(paths.data)),
        "timeout": timeout,
    }


def _keys(keys: Table) -> dict[str, Any]:
    """[keys]: the suite's private key, the wallet's public key and the key version."""
    hint = '"keys/name.pem"'
    keys.only(KEY_KEYS, "[keys] setting")
    return {
        "suite_private_key": keys.need(
            "suite_private_key", keys.private_key("suite_private_key"), hint
        ),
        "wallet_public_key": keys.need(
            "wallet_public_key", keys.public_key("wallet_public_key"), hint
        ),
        "key_version": key_version(keys),
    }


def _build(root: Table, catalogue: Catalogue | None, source: str, digest: str) -> Profile:
    if not any(role in root for role in ROLES):
        root.fail(
            "profile",
            "names no role to certify",
            "add [target] (the wallet's inquiryUserInfo), [gateway] (the wallet as a "
            "prepareAuthInfo client) or [provider] (an Alipay+-side prepareAuthInfo server)",
        )
    root.only(SECTIONS, "profile section")
    keys = root.table("keys", "write [keys] with the key file paths")
    fields = _keys(keys) if "keys" in root else {}
    found = tokens(root)
    if "target" in root:
        if "keys" not in root:
            keys.fail("", "is missing", "add [keys] with suite_private_key and wallet_public_key")
        fields |= _target(root.table("target", 'write [target] with base_url = "..."'))
        if not any(t.state == "valid" for t in found):
            root.fail(
                "[[tokens]]",
                'has no token with state = "valid"',
                "add one the wallet issued for a test user",
            )
    profile = Profile(
        **fields,
        tokens=found,
        levels=levels(root, catalogue),
        source=source,
        digest=digest,
        limits=limits(root),
        tls=parse_tls(root),
    )
    return attach(profile, root)


T = TypeVar("T")


@dataclass(frozen=True)
class Reader(Generic[T]):
    """Reads a profile into T, from parsed TOML (`parse`) or from its file (`load`)."""

    build: Callable[[Table, Catalogue | None, str, str], T]

    def parse(
        self,
        data: Mapping[str, Any],
        base: Path,
        catalogue: Catalogue | None = None,
        source: str = "(built in)",
        digest: str = "",
    ) -> T:
        """T from parsed TOML; every problem is one ProfileError line."""
        root = Table(data, base=base)
        refuse_placeholders(root)
        return self.build(root, catalogue, source, digest)

    def load(self, path: Path, catalogue: Catalogue | None = None) -> T:
        """T from a profile file; relative key paths resolve against its folder."""
        data, digest = tomlfile.read(path, ProfileError, "--profile")
        return self.parse(data, path.resolve().parent, catalogue, str(path), digest)


PROFILE = Reader(_build)
parse, load = PROFILE.parse, PROFILE.load
