"""The profile's prepareAuthInfo sections: [gateway], [trigger] and [provider]."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from .. import signing
from .table import Table

if TYPE_CHECKING:
    from . import Profile

K = TypeVar("K")

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
    parallel: int = 1  # flows the harness takes at once (the scenarios are independent)


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


def _path(table: Table) -> str:
    return table.url_path("path", DEFAULT_PATH, DEFAULT_PATH)


def _key(table: Table, name: str, loaded: K | None, fallback: K | None, file: str) -> K:
    """A gateway key, given in [gateway] or taken from [keys]."""
    key = loaded if loaded is not None else fallback
    if key is None:
        table.fail(
            name,
            "is missing, and there is no [keys] section to take it from",
            f'add {name} = "keys/{file}.pem"',
        )
    return key


def gateway(root: Table, profile: Profile) -> GatewaySettings | None:
    if "gateway" not in root:
        return None
    table = root.table("gateway")
    return GatewaySettings(
        wallet_public_key=_key(
            table,
            "wallet_public_key",
            table.public_key("wallet_public_key"),
            profile.wallet_public_key,
            "wallet-public",
        ),
        suite_private_key=_key(
            table,
            "suite_private_key",
            table.private_key("suite_private_key"),
            profile.suite_private_key,
            "suite-private",
        ),
        psp_id=table.text("psp_id", profile.psp_id or DEFAULT_PSP_ID),
        host=table.text("host", "127.0.0.1"),
        port=table.integer("port", 8471, 0, 65535, noun="a port number"),
        path=_path(table),
        client_id=table.text("client_id", None),
        key_version=table.text("key_version", "1"),
        wallet_timeout=table.number("wallet_timeout", 10.0, 0.05, 120),
        max_attempts=int(table.number("max_attempts", 10, 2, 1000)),
        min_backoff=table.number("min_backoff", 0.1, 0, 60),
        settle=table.number("settle", 1.0, 0, 60),
    )


HARNESS = "http://127.0.0.1:9000/harness/prepareAuthInfo"


def trigger(root: Table) -> TriggerSettings | None:
    if "trigger" not in root:
        return None
    table = root.table("trigger")
    if sum(key in table for key in ("url", "path", "command")) != 1:
        table.fail("", "needs exactly one of url, path or command", f'write url = "{HARNESS}"')
    return TriggerSettings(
        table.url("url", f'"{HARNESS}"') if "url" in table else None,
        table.url_path("path", example="/harness/prepareAuthInfo") if "path" in table else None,
        table.strings("command", "must be a list of strings", '["./harness", "--json"]', least=1)
        or (),
        table.number("timeout", 60.0, 0.1, 3600),
        table.integer("parallel", 1, 1, 64),
    )


def provider(root: Table, profile: Profile) -> ProviderSettings | None:
    if "provider" not in root:
        return None
    table = root.table("provider")
    base_url = table.url("base_url", '"https://host[:port]"')
    client_id = table.text("client_id")
    key = '"keys/name.pem"'
    signing_key = table.need("signing_key", table.private_key("signing_key"), key)
    public_key = table.need("public_key", table.public_key("public_key"), key)
    urls = table.strings(
        "auth_urls",
        "must list the authUrls the server resolves (1-2048 characters)",
        '["https://openauth.alipay.com/..."]',
        least=1,
        longest=2048,
    )
    return ProviderSettings(
        base_url=base_url,
        client_id=client_id,
        signing_key=signing_key,
        public_key=public_key,
        auth_urls=table.need("auth_urls", urls, '["https://openauth.alipay.com/..."]'),
        path=_path(table),
        key_version=table.text("key_version", "1"),
        timeout=table.number("timeout", profile.timeout, 0.1, 300),
    )


def attach(profile: Profile, root: Table) -> Profile:
    """The profile with its optional prepareAuthInfo sections parsed."""
    found = trigger(root)
    if found is not None and found.path is not None and not profile.has_target:
        root.table("trigger").fail(
            "path",
            "needs [target] base_url to resolve against",
            'write url = "http://host:port/harness/prepareAuthInfo" instead',
        )
    return replace(
        profile,
        gateway=gateway(root, profile),
        trigger=found,
        provider=provider(root, profile),
    )
