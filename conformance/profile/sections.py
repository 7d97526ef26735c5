"""The profile's prepareAuthInfo sections: [gateway], [trigger] and [provider]."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from conformance import signing
from conformance.contract.spec import contract
from conformance.profile.carriers import HEADER, HOST, TEXT, TOKEN, Carrier, flaw
from conformance.profile.table import Table

if TYPE_CHECKING:
    from conformance.profile import Profile

K = TypeVar("K")

DEFAULT_PATH = "/aps/api/v1/authorizations/prepareAuthInfo"
# The pspId of the gateway's SUCCESS replies when neither [gateway] nor [target] names one.
DEFAULT_PSP_ID = "2160120000000001"
# The documents give no maximum length to a Client-Id or a key version: sane bounds.
LONGEST_CLIENT_ID = 128
LONGEST_KEY_VERSION = 64
# An IPv6 address to bind to is written without brackets.
BIND_HOST = Carrier("a host name or IP address", HOST | {":"}, "write e.g. 127.0.0.1 or ::1")
GATEWAY_KEYS = (
    "wallet_public_key",
    "suite_private_key",
    "psp_id",
    "host",
    "port",
    "path",
    "client_id",
    "key_version",
    "wallet_timeout",
    "max_attempts",
    "min_backoff",
    "settle",
)
TRIGGER_KEYS = ("url", "path", "command", "timeout", "parallel")
PROVIDER_KEYS = (
    "base_url",
    "client_id",
    "signing_key",
    "public_key",
    "auth_urls",
    "path",
    "key_version",
    "timeout",
)
OBSERVE_KEYS = (
    "listen",
    "upstream",
    "role",
    "path",
    "timeout",
    "retry_window",
    "alipayplus_public_key",
    "wallet_public_key",
    "wallet_client_id",
    "tls_cert",
    "tls_key",
)


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


def longest(schema: str, name: str) -> int:
    """The maxLength the contract gives a property of one of its schemas."""
    return int(contract().resolve(schema)["properties"][name]["maxLength"])


def psp_id_longest() -> int:
    return longest("inquiryUserInfo.request.json", "pspId")


def key_version(table: Table) -> str:
    """A key version: it goes into the Signature header as keyVersion=<token>."""
    return table.text("key_version", "1", hint='"1"', on=TOKEN, longest=LONGEST_KEY_VERSION)


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
    table.only(GATEWAY_KEYS, "[gateway] setting")
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
        psp_id=table.text(
            "psp_id", profile.psp_id or DEFAULT_PSP_ID, on=HEADER, longest=psp_id_longest()
        ),
        host=table.text("host", "127.0.0.1", on=BIND_HOST, longest=253),
        port=table.integer("port", 8471, 0, 65535, noun="a port number"),
        path=_path(table),
        client_id=table.text("client_id", None, on=HEADER, longest=LONGEST_CLIENT_ID),
        key_version=key_version(table),
        wallet_timeout=table.number("wallet_timeout", 10.0, 0.05, 120),
        max_attempts=table.integer("max_attempts", 10, 2, 1000),
        min_backoff=table.number("min_backoff", 0.1, 0, 60),
        settle=table.number("settle", 1.0, 0, 60),
    )


HARNESS = "http://127.0.0.1:9000/harness/prepareAuthInfo"


def trigger(root: Table) -> TriggerSettings | None:
    if "trigger" not in root:
        return None
    table = root.table("trigger")
    table.only(TRIGGER_KEYS, "[trigger] setting")
    if sum(key in table for key in ("url", "path", "command")) != 1:
        table.fail("", "needs exactly one of url, path or command", f'write url = "{HARNESS}"')
    command = table.strings(
        "command", "must be a list of strings", '["./harness", "--json"]', least=1, longest=4096
    )
    if any(flaw(arg, TEXT) for arg in command or ()):
        table.fail("command", "has a control character (a NUL, a line break...)", TEXT.fix)
    return TriggerSettings(
        table.url("url", f'"{HARNESS}"') if "url" in table else None,
        table.url_path("path", example="/harness/prepareAuthInfo") if "path" in table else None,
        command or (),
        table.number("timeout", 60.0, 0.1, 3600),
        table.integer("parallel", 1, 1, 64),
    )


def provider(root: Table, profile: Profile) -> ProviderSettings | None:
    if "provider" not in root:
        return None
    table = root.table("provider")
    table.only(PROVIDER_KEYS, "[provider] setting")
    base_url = table.url("base_url", '"https://host[:port]"')
    wallet_id = table.text("client_id", on=HEADER, longest=LONGEST_CLIENT_ID)
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
    if found := next(filter(None, (flaw(url, TEXT) for url in urls or ())), None):
        table.fail("auth_urls", found, TEXT.fix)
    return ProviderSettings(
        base_url=base_url,
        client_id=wallet_id,
        signing_key=signing_key,
        public_key=public_key,
        auth_urls=table.need("auth_urls", urls, '["https://openauth.alipay.com/..."]'),
        path=_path(table),
        key_version=key_version(table),
        timeout=table.number("timeout", profile.timeout, 0.1, 300),
    )


def attach(profile: Profile, root: Table) -> Profile:
    """The profile with its optional prepareAuthInfo sections parsed."""
    root.table("observe").only(OBSERVE_KEYS, "[observe] setting")
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
