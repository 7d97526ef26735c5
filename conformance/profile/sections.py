"""The profile's prepareAuthInfo sections: [gateway], [trigger] and [provider]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import signing
from ..errors import ProfileError
from .fields import _value, load_key

if TYPE_CHECKING:
    from . import Profile

DEFAULT_PATH = "/aps/api/v1/authorizations/prepareAuthInfo"
# The pspId of the gateway's SUCCESS replies when neither [gateway] nor [target] names one.
DEFAULT_PSP_ID = "2160120000000001"


@dataclass(frozen=True, eq=False)
class GatewaySettings:
    """Where the suite serves prepareAuthInfo and how it judges the wallet's timing."""

    wallet_public_key: signing.PublicKey
    suite_private_key: signing.PrivateKey
    host: str = "127.0.0.1"
    port: int = 8471
    path: str = DEFAULT_PATH
    client_id: str | None = None
    key_version: str = "1"
    wallet_timeout: float = 10.0
    max_attempts: int = 10
    min_backoff: float = 0.1
    settle: float = 1.0
    psp_id: str = DEFAULT_PSP_ID

    @property
    def silence(self) -> float:
        """How long the 'late reply' scenario holds its answer: well past the wallet's timeout."""
        return self.wallet_timeout * 1.5 + 0.2


@dataclass(frozen=True)
class TriggerSettings:
    """How the suite makes the wallet start a flow: an HTTP endpoint or a command."""

    url: str | None = None
    path: str | None = None
    command: tuple[str, ...] = ()
    timeout: float = 60.0


@dataclass(frozen=True, eq=False)
class ProviderSettings:
    """An Alipay+-side prepareAuthInfo server to verify; the suite signs as the wallet."""

    base_url: str
    client_id: str
    signing_key: signing.PrivateKey
    public_key: signing.PublicKey
    auth_urls: tuple[str, ...]
    path: str = DEFAULT_PATH
    key_version: str = "1"
    timeout: float = 10.0


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ProfileError(f"[{name}]", "must be a table", f"write a [{name}] section")
    return raw


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str | None:
    raw = _value(table.get(key, default), f"[{where}] {key}")
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        raise ProfileError(f"[{where}] {key}", "must be a non-empty string", f'write {key} = "..."')
    return raw


def _number(
    table: Mapping[str, Any], key: str, where: str, default: float, low: float, high: float
) -> float:
    raw = table.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not low <= raw <= high:
        raise ProfileError(
            f"[{where}] {key}",
            f"must be a number in [{low:g}, {high:g}]",
            f"write {key} = {default:g}",
        )
    return float(raw)


def _path(table: Mapping[str, Any], where: str) -> str:
    path = _text(table, "path", where, DEFAULT_PATH) or DEFAULT_PATH
    if not path.startswith("/"):
        raise ProfileError(
            f"[{where}] path", f"{path!r} does not start with /", f'write path = "{DEFAULT_PATH}"'
        )
    return path


def _url(value: str, where: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProfileError(
            where, f"{value!r} is not an http(s) URL", 'write "http://host:port/..."'
        )
    return value.rstrip("/")


def _key(
    table: Mapping[str, Any], key: str, where: str, base: Path, private: bool, default: Any
) -> Any:
    raw = _text(table, key, where)
    if raw is None:
        return default
    return load_key(raw, base, private, f"[{where}] {key}")


def _required(key: Any, name: str, file: str) -> Any:
    """A gateway key, given in [gateway] or taken from [keys]."""
    if key is None:
        raise ProfileError(
            f"[gateway] {name}",
            "is missing, and there is no [keys] section to take it from",
            f'add {name} = "keys/{file}.pem"',
        )
    return key


def gateway(data: Mapping[str, Any], base: Path, profile: Profile) -> GatewaySettings | None:
    table = _table(data, "gateway")
    if table is None:
        return None
    port = table.get("port", 8471)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ProfileError(
            "[gateway] port", "must be a port number in [0, 65535]", "write port = 8471"
        )
    wallet_timeout = _number(table, "wallet_timeout", "gateway", 10.0, 0.05, 120)
    return GatewaySettings(
        wallet_public_key=_required(
            _key(table, "wallet_public_key", "gateway", base, False, profile.wallet_public_key),
            "wallet_public_key",
            "wallet-public",
        ),
        suite_private_key=_required(
            _key(table, "suite_private_key", "gateway", base, True, profile.suite_private_key),
            "suite_private_key",
            "suite-private",
        ),
        psp_id=_text(table, "psp_id", "gateway", profile.psp_id or DEFAULT_PSP_ID)
        or DEFAULT_PSP_ID,
        host=_text(table, "host", "gateway", "127.0.0.1") or "127.0.0.1",
        port=port,
        path=_path(table, "gateway"),
        client_id=_text(table, "client_id", "gateway"),
        key_version=_text(table, "key_version", "gateway", "1") or "1",
        wallet_timeout=wallet_timeout,
        max_attempts=int(_number(table, "max_attempts", "gateway", 10, 2, 1000)),
        min_backoff=_number(table, "min_backoff", "gateway", 0.1, 0, 60),
        settle=_number(table, "settle", "gateway", 1.0, 0, 60),
    )


def trigger(data: Mapping[str, Any]) -> TriggerSettings | None:
    table = _table(data, "trigger")
    if table is None:
        return None
    url, path, command = (
        _text(table, "url", "trigger"),
        _text(table, "path", "trigger"),
        table.get("command"),
    )
    if command is not None and (
        not isinstance(command, list)
        or not command
        or not all(isinstance(c, str) and c for c in command)
    ):
        raise ProfileError(
            "[trigger] command",
            "must be a list of strings",
            'write command = ["./harness", "--json"]',
        )
    if sum(x is not None for x in (url, path, command)) != 1:
        raise ProfileError(
            "[trigger]",
            "needs exactly one of url, path or command",
            'write url = "http://127.0.0.1:9000/harness/prepareAuthInfo"',
        )
    if path is not None and not path.startswith("/"):
        raise ProfileError(
            "[trigger] path",
            f"{path!r} does not start with /",
            'write path = "/harness/prepareAuthInfo"',
        )
    return TriggerSettings(
        _url(url, "[trigger] url") if url else None,
        path,
        tuple(command or ()),
        _number(table, "timeout", "trigger", 60.0, 0.1, 3600),
    )


def provider(data: Mapping[str, Any], base: Path, profile: Profile) -> ProviderSettings | None:
    table = _table(data, "provider")
    if table is None:
        return None
    base_url = _text(table, "base_url", "provider")
    client_id = _text(table, "client_id", "provider")
    if base_url is None or client_id is None:
        missing = "base_url" if base_url is None else "client_id"
        raise ProfileError(f"[provider] {missing}", "is missing", f'add {missing} = "..."')
    signing_key = _key(table, "signing_key", "provider", base, True, None)
    public_key = _key(table, "public_key", "provider", base, False, None)
    if signing_key is None or public_key is None:
        missing = "signing_key" if signing_key is None else "public_key"
        raise ProfileError(
            f"[provider] {missing}", "is missing", f'add {missing} = "keys/name.pem"'
        )
    urls = table.get("auth_urls")
    if (
        not isinstance(urls, list)
        or not urls
        or not all(isinstance(u, str) and 0 < len(u) <= 2048 for u in urls)
    ):
        raise ProfileError(
            "[provider] auth_urls",
            "must list the authUrls the server resolves (1-2048 characters)",
            'write auth_urls = ["https://openauth.alipay.com/..."]',
        )
    return ProviderSettings(
        base_url=_url(base_url, "[provider] base_url"),
        client_id=client_id,
        signing_key=signing_key,
        public_key=public_key,
        auth_urls=tuple(urls),
        path=_path(table, "provider"),
        key_version=_text(table, "key_version", "provider", "1") or "1",
        timeout=_number(table, "timeout", "provider", profile.timeout, 0.1, 300),
    )


def attach(profile: Profile, data: Mapping[str, Any], base: Path) -> Profile:
    """The profile with its optional prepareAuthInfo sections parsed."""
    found = trigger(data)
    if found is not None and found.path is not None and not profile.has_target:
        raise ProfileError(
            "[trigger] path",
            "needs [target] base_url to resolve against",
            'write url = "http://host:port/harness/prepareAuthInfo" instead',
        )
    return replace(
        profile,
        gateway=gateway(data, base, profile),
        trigger=found,
        provider=provider(data, base, profile),
    )
