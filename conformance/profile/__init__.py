"""The target profile (TOML): what wallet to certify and with which keys and tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import signing, tomlfile
from ..catalogue import LEVELS, Catalogue
from ..errors import ProfileError
from ..spec import alipaycn_acquirer_id
from ..throttle import Limits, parse_limits
from ..tls import Tls, parse_tls
from .fields import _value, load_key
from .sections import attach

if TYPE_CHECKING:
    from .sections import GatewaySettings, ProviderSettings, TriggerSettings

TOKEN_STATES = ("valid", "expired", "revoked")
PLACEHOLDER = "<fill in: "  # how `conformance init` marks a value only the wallet team knows
# The official SDKs take keys as one bare base64 DER string, e.g. from a CI variable; no file path
# looks like it.


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


def _text(
    table: Mapping[str, Any], key: str, where: str, default: str | None = None, hint: str = '"..."'
) -> str:
    raw = _value(table.get(key, default), f"{where}.{key}")
    if raw is None:
        raise ProfileError(f"{where}.{key}", "is missing", f"add {key} = {hint}")
    if not isinstance(raw, str) or not raw:
        raise ProfileError(f"{where}.{key}", "must be a non-empty string", f"write {key} = {hint}")
    return raw


def _key(table: Mapping[str, Any], key: str, base: Path, private: bool) -> Any:
    raw = _text(table, key, "[keys]", hint='"keys/name.pem"')
    return load_key(raw, base, private, f"[keys] {key}")


def _tokens(rows: Any) -> tuple[Token, ...]:
    if not isinstance(rows, list):
        raise ProfileError("[[tokens]]", "must be an array of tables", "write [[tokens]] sections")
    out = []
    for i, row in enumerate(rows):
        where = f"[[tokens]] #{i + 1}"
        token = _text(row, "access_token", where)
        if len(token) > 128:
            raise ProfileError(
                f"{where} access_token",
                "is longer than 128 characters",
                "use a token the wallet issued (at most 128 characters)",
            )
        scopes = row.get("scopes", [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
            raise ProfileError(
                f"{where} scopes",
                "must be a list of scope names",
                'write scopes = ["BASE_USER_INFO"]',
            )
        state = row.get("state", "valid")
        if state not in TOKEN_STATES:
            raise ProfileError(
                f"{where} state", f"is {state!r}", f"use one of {', '.join(TOKEN_STATES)}"
            )
        expect = row.get("expect", {})
        if not isinstance(expect, dict) or not all(isinstance(v, str) for v in expect.values()):
            raise ProfileError(
                f"{where} expect",
                "must map userInfo field names to strings",
                'write [tokens.expect] userId = "..."',
            )
        out.append(Token(token, frozenset(scopes), state, tuple(sorted(expect.items()))))
    return tuple(out)


def _levels(raw: Any, catalogue: Catalogue | None) -> Mapping[str, str]:
    if not isinstance(raw, dict):
        raise ProfileError("[requirements]", "must be a table", 'write "ID" = "MUST"')
    for rid, level in raw.items():
        if catalogue is not None and rid not in catalogue:
            raise ProfileError(
                f"[requirements] {rid}",
                "is not a known requirement ID",
                "see `conformance requirements` for the list",
            )
        if level not in LEVELS:
            raise ProfileError(
                f"[requirements] {rid}", f"level {level!r} is unknown", "use MUST or SHOULD"
            )
    return MappingProxyType(dict(raw))


def _refuse_placeholders(node: Any, table: str = "", key: str = "") -> None:
    """A value `conformance init` left for the wallet team is named with what to write instead."""
    if isinstance(node, str) and node.startswith(PLACEHOLDER):
        where = f"[{table}].{key}" if table else key
        raise ProfileError(
            where,
            "is still the placeholder written by conformance init",
            f"replace it with {node[len(PLACEHOLDER) :].rstrip('>')}",
        )
    if isinstance(node, dict):
        for name, value in node.items():
            nested = isinstance(value, dict) and set(value) != {"env"}
            inner = f"{table}.{name}" if table else name
            _refuse_placeholders(value, inner if nested else table, "" if nested else name)
    elif isinstance(node, list):
        for i, row in enumerate(node):
            if isinstance(row, dict):
                for name, value in row.items():
                    _refuse_placeholders(value, "", f"[[{key}]] #{i + 1} {name}")
            else:
                _refuse_placeholders(row, table, key)


ROLES = ("target", "gateway", "provider")


def _target(target: Any, keys: Any, base: Path) -> dict[str, Any]:
    """The [target] fields of a Profile: the wallet's inquiryUserInfo server, its keys and
    tokens."""
    if not isinstance(target, dict):
        raise ProfileError("[target]", "must be a table", 'write [target] with base_url = "..."')
    base_url = _text(target, "base_url", "[target]", hint='"https://staging.wallet.example"')
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProfileError(
            "[target].base_url",
            f"{base_url!r} is not an http(s) URL",
            'write base_url = "https://host[:port]"',
        )
    paths = target.get("paths", {})
    if not isinstance(paths, dict) or not all(
        isinstance(p, str) and p.startswith("/") for p in paths.values()
    ):
        raise ProfileError(
            "[target.paths]",
            "must map API names to paths starting with /",
            'write inquiryUserInfo = "/v1/inquiryUserInfo"',
        )
    if "inquiryUserInfo" not in paths:
        raise ProfileError(
            "[target.paths] inquiryUserInfo",
            "is missing",
            'add the path your wallet registered, e.g. inquiryUserInfo = "/v1/inquiryUserInfo"',
        )
    timeout = target.get("timeout", 10.0)
    if not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
        raise ProfileError(
            "[target].timeout", "must be a number of seconds in (0, 300]", "write timeout = 10"
        )
    if keys is None:
        raise ProfileError(
            "[keys]", "is missing", "add [keys] with suite_private_key and wallet_public_key"
        )
    return {
        "base_url": base_url.rstrip("/"),
        "client_id": _text(target, "client_id", "[target]"),
        "psp_id": _text(target, "psp_id", "[target]"),
        "acquirer_id": _text(target, "acquirer_id", "[target]", default=alipaycn_acquirer_id()),
        "paths": MappingProxyType(dict(paths)),
        "timeout": float(timeout),
    }


def _keys(keys: Any, base: Path) -> dict[str, Any]:
    if keys is None:
        return {}
    if not isinstance(keys, dict):
        raise ProfileError("[keys]", "must be a table", "write [keys] with the key file paths")
    return {
        "suite_private_key": _key(keys, "suite_private_key", base, private=True),
        "wallet_public_key": _key(keys, "wallet_public_key", base, private=False),
        "key_version": _text(keys, "key_version", "[keys]", default="1", hint='"1"'),
    }


def parse(
    data: Mapping[str, Any],
    base: Path,
    catalogue: Catalogue | None = None,
    source: str = "(built in)",
    digest: str = "",
) -> Profile:
    """Build a Profile from parsed TOML; every problem is one ProfileError line."""
    _refuse_placeholders(data)
    if not any(role in data for role in ROLES):
        raise ProfileError(
            "profile",
            "names no role to certify",
            "add [target] (the wallet's inquiryUserInfo), [gateway] (the wallet as a "
            "prepareAuthInfo client) or [provider] (an Alipay+-side prepareAuthInfo server)",
        )
    fields = _keys(data.get("keys"), base)
    tokens = _tokens(data.get("tokens", []))
    if "target" in data:
        fields |= _target(data["target"], data.get("keys"), base)
        if not any(t.state == "valid" for t in tokens):
            raise ProfileError(
                "[[tokens]]",
                'has no token with state = "valid"',
                "add one the wallet issued for a test user",
            )
    return attach(
        Profile(
            **fields,
            tokens=tokens,
            levels=_levels(data.get("requirements", {}), catalogue),
            source=source,
            digest=digest,
            limits=parse_limits(data.get("limits", {})),
            tls=parse_tls(data.get("tls", {}), base),
        ),
        data,
        base,
    )


def load(path: Path, catalogue: Catalogue | None = None) -> Profile:
    """Read a profile file; relative key paths resolve against its folder."""
    data, digest = tomlfile.read(path, ProfileError, "--profile")
    return parse(data, path.resolve().parent, catalogue, str(path), digest)
