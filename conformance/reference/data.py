"""Data and keys of the reference wallet: its clients, tokens, user and test keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from conformance import signing
from conformance.contract.spec import alipaycn_acquirer_id
from conformance.profile import Profile, Token
from conformance.profile.sections import GatewaySettings, ProviderSettings, TriggerSettings

PSP_ID = "2160120000000001"
ACQUIRER_ID = alipaycn_acquirer_id()
ALIPAYPLUS_CLIENT_ID = "SANDBOX_5YC47N2ZQHJ004124"
WALLET_CLIENT_ID = "MPP_REFERENCE_WALLET_01"
KEY_VERSION = "1"
PATHS = {"inquiryUserInfo": "/mpp/v1/alipayplus/inquiryUserInfo"}
# prepareAuthInfo: the harness trigger of the reference wallet, its client timeout, the gateway
# path.
HARNESS_PATH = "/harness/prepareAuthInfo"
CLIENT_TIMEOUT = 1.0  # generous: a timeout under load would make an F flow retry
# How the suite plays the reference's prepareAuthInfo roles: a short back-off and settle keep
# runs quick; its harness takes every flow at once.
MIN_BACKOFF, SETTLE, HARNESS_TIMEOUT, PARALLEL_FLOWS = 0.025, 0.02, 10.0, 32
GATEWAY_PATH = "/aps/api/v1/authorizations/prepareAuthInfo"
# authUrls the reference Alipay+ server resolves (the suite's provider mode asks for them).
AUTH_URLS = (
    (
        "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm?app_id=2021000000000001&scope=auth_base"
        "&redirect_uri=https%3A%2F%2Fmerchant.example%2Foauth%2Freturn%3Fshop%3Dref-1&state=ref-1"
    ),
)
PROVIDER_PLACEHOLDER = "http://127.0.0.1:1"

LOGIN_ID = "+86-138****0001"
USER = {
    "userId": "2160120012345678",
    "userLoginId": LOGIN_ID,
    "hashUserLoginId": hashlib.md5(LOGIN_ID.encode()).hexdigest(),
}
SCOPE_FIELD = {
    "BASE_USER_INFO": "userId",
    "USER_LOGIN_ID": "userLoginId",
    "HASH_LOGIN_ID": "hashUserLoginId",
}


@dataclass(frozen=True)
class IssuedToken:
    token: str
    scopes: frozenset[str]
    state: str = "valid"


SEEDS = (
    IssuedToken("RefTok.base.7f3a9c1e5b2d4f60", frozenset({"BASE_USER_INFO"})),
    IssuedToken("RefTok.login.2b8e6d0a4c1f9e37", frozenset({"USER_LOGIN_ID"})),
    IssuedToken("RefTok.hash.9d4c2a7e1f6b3058", frozenset({"HASH_LOGIN_ID"})),
    IssuedToken("RefTok.all.5e1b8f3c9a2d7064", frozenset(SCOPE_FIELD)),
    IssuedToken("RefTok.expired.0c6f2e9b4a7d1385", frozenset({"BASE_USER_INFO"}), "expired"),
    IssuedToken("RefTok.revoked.8a3d5f1c7e2b9046", frozenset({"BASE_USER_INFO"}), "revoked"),
)


def testdata(name: str) -> Path:
    return Path(str(resources.files("conformance.reference") / "testdata" / name))


@cache
def private_key(name: str) -> signing.PrivateKey:
    return signing.load_private_key(testdata(f"{name}-private.pem").read_bytes(), checked=False)


@cache
def public_key(name: str) -> signing.PublicKey:
    return signing.load_public_key(testdata(f"{name}-public.pem").read_bytes())


def profile_toml(
    base_url: str,
    gateway_port: int | None = None,
    provider: bool = False,
    paths: Mapping[str, str] = PATHS,
    timeout: float = 10,
) -> str:
    """A ready-to-use profile for the reference wallet at base_url (prepareAuthInfo sections on
    request)."""
    lines = [
        "# Target profile for the embedded reference wallet (test keys only).",
        "[target]",
        f'base_url = "{base_url}"',
        f'client_id = "{ALIPAYPLUS_CLIENT_ID}"',
        f'psp_id = "{PSP_ID}"',
        f'acquirer_id = "{ACQUIRER_ID}"',
        f"timeout = {timeout}",
        "",
        "[target.paths]",
        *(f"{api} = {json.dumps(path)}" for api, path in paths.items()),
        "",
        "[keys]",
        f'suite_private_key = "{testdata("alipayplus-private.pem")}"',
        f'wallet_public_key = "{testdata("wallet-public.pem")}"',
        f'key_version = "{KEY_VERSION}"',
    ]
    for seed in SEEDS:
        lines += [
            "",
            "[[tokens]]",
            f'access_token = "{seed.token}"',
            "scopes = [" + ", ".join(f'"{s}"' for s in sorted(seed.scopes)) + "]",
            f'state = "{seed.state}"',
        ]
        if seed.state == "valid":
            lines.append("[tokens.expect]")
            lines += [f'{SCOPE_FIELD[s]} = "{USER[SCOPE_FIELD[s]]}"' for s in sorted(seed.scopes)]
    if gateway_port is not None:
        lines += prepare_toml(gateway_port, provider)
    return "\n".join(lines) + "\n"


def prepare_toml(gateway_port: int, provider: bool) -> list[str]:
    """The prepareAuthInfo sections: the suite's gateway, the wallet's trigger, the Alipay+
    server."""
    lines = [
        "",
        "[gateway]",
        'host = "127.0.0.1"',
        f"port = {gateway_port}",
        f'path = "{GATEWAY_PATH}"',
        f'client_id = "{WALLET_CLIENT_ID}"',
        f"wallet_timeout = {CLIENT_TIMEOUT}",
        f"min_backoff = {MIN_BACKOFF}",
        f"settle = {SETTLE}",
        "",
        "[trigger]",
        f'path = "{HARNESS_PATH}"',
        f"timeout = {HARNESS_TIMEOUT}",
        f"parallel = {PARALLEL_FLOWS}",
    ]
    if provider:
        lines += [
            "",
            "[provider]  # served by the embedded reference Alipay+ server",
            f'base_url = "{PROVIDER_PLACEHOLDER}"',
            f'path = "{GATEWAY_PATH}"',
            f'client_id = "{WALLET_CLIENT_ID}"',
            f'signing_key = "{testdata("wallet-private.pem")}"',
            f'public_key = "{testdata("alipayplus-public.pem")}"',
            "auth_urls = [" + ", ".join(f'"{u}"' for u in AUTH_URLS) + "]",
        ]
    return lines


# The embedded wallet never stalls on purpose, but it shares the suite's machine (and, in the
# project's tests, its process): on a loaded machine give it room, rather than report a stall
# of the machine as a silent wallet.
EMBEDDED_TIMEOUT = 30.0


def reference_profile() -> Profile:
    """The profile of the embedded reference wallet (its URL is set when it is served)."""
    tokens = tuple(
        Token(
            seed.token,
            seed.scopes,
            seed.state,
            tuple(sorted((SCOPE_FIELD[s], USER[SCOPE_FIELD[s]]) for s in seed.scopes))
            if seed.state == "valid"
            else (),
        )
        for seed in SEEDS
    )
    return Profile(
        base_url="http://127.0.0.1:1",  # replaced by the served address
        client_id=ALIPAYPLUS_CLIENT_ID,
        psp_id=PSP_ID,
        acquirer_id=ACQUIRER_ID,
        paths=MappingProxyType(dict(PATHS)),
        suite_private_key=private_key("alipayplus"),
        wallet_public_key=public_key("wallet"),
        key_version=KEY_VERSION,
        tokens=tokens,
        timeout=EMBEDDED_TIMEOUT,
        source="(embedded reference wallet)",
    )


def embedded_profile() -> Profile:
    """The embedded reference wallet's profile, with the prepareAuthInfo roles it also plays: its
    client against the suite's gateway (on a free port), and the reference Alipay+ server."""
    wallet = reference_profile()
    assert wallet.wallet_public_key is not None and wallet.suite_private_key is not None
    return replace(
        wallet,
        gateway=GatewaySettings(
            wallet_public_key=wallet.wallet_public_key,
            suite_private_key=wallet.suite_private_key,
            port=0,
            path=GATEWAY_PATH,
            client_id=WALLET_CLIENT_ID,
            wallet_timeout=CLIENT_TIMEOUT,
            min_backoff=MIN_BACKOFF,
            settle=SETTLE,
            psp_id=wallet.psp_id,
        ),
        trigger=TriggerSettings(
            path=HARNESS_PATH, timeout=HARNESS_TIMEOUT, parallel=PARALLEL_FLOWS
        ),
        provider=ProviderSettings(
            base_url=PROVIDER_PLACEHOLDER,  # replaced by the served address
            client_id=WALLET_CLIENT_ID,
            signing_key=private_key("wallet"),
            public_key=public_key("alipayplus"),
            auth_urls=AUTH_URLS,
            path=GATEWAY_PATH,
            timeout=10.0,
        ),
    )
