"""Independent traffic for the observation tests: an Alipay+ client written here from the contract
pages, with plain httpx and cryptography (nothing of the suite's sender or signing module), and
helpers to run a session in front of a served app."""

from __future__ import annotations

import base64
import json
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conformance.observe import Paths, Running, observe
from conformance.observe.limits import Limits
from conformance.observe.settings import ObserveSettings, override, parse
from conformance.reference import data
from conformance.reference.faults import Fault

TESTDATA = Path(__file__).resolve().parent.parent / "conformance" / "reference" / "testdata"
PATH = "/mpp/v1/alipayplus/inquiryUserInfo"
PSP_ID, ACQUIRER_ID, CLIENT_ID = (
    "2160120000000001",
    "1022088000000000001",
    "SANDBOX_5YC47N2ZQHJ004124",
)


@cache
def _key(name: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key((TESTDATA / name).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@dataclass
class AlipayPlus:
    """Calls inquiryUserInfo as Alipay+ does (contract-notes §3): RSA256 over
    `POST <uri>\\n<Client-Id>.<Request-Time>.<body>`, base64 then URL-encoded."""

    base_url: str
    key: rsa.RSAPrivateKey = field(default_factory=lambda: _key("alipayplus-private.pem"))
    answers: list[httpx.Response | Exception] = field(default_factory=list)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10, verify=False))

    def signature(self, content: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
        raw = (key or self.key).sign(content, padding.PKCS1v15(), hashes.SHA256())
        return quote(base64.b64encode(raw).decode(), safe="")

    def headers(
        self,
        body: bytes,
        time: str | None = None,
        client_id: str = CLIENT_ID,
        signed: bytes | None = None,
        spaced: bool = False,
    ) -> dict[str, str]:
        time = time or datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0).isoformat()
        content = f"POST {PATH}\n{client_id}.{time}.".encode() + (
            signed if signed is not None else body
        )
        sep = ", " if spaced else ","
        return {
            "Content-Type": "application/json; charset=UTF-8",
            "Client-Id": client_id,
            "Request-Time": time,
            "Signature": sep.join(
                ("algorithm=RSA256", "keyVersion=1", f"signature={self.signature(content)}")
            ),
        }

    def send(self, body: bytes, headers: dict[str, str], method: str = "POST") -> None:
        try:
            url = self.base_url + PATH
            self.answers.append(self.http.request(method, url, content=body, headers=headers))
        except httpx.HTTPError as exc:
            self.answers.append(exc)


def body(**fields: Any) -> bytes:
    base = {"pspId": PSP_ID, "acquirerId": ACQUIRER_ID, "accessToken": data.SEEDS[0].token}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


def acceptance(client: AlipayPlus) -> None:
    """What an acceptance session sends: every test user, then calls that break one rule each."""
    for seed in data.SEEDS:
        b = body(accessToken=seed.token)
        client.send(b, client.headers(b))
    b = body(accessToken="NoSuchToken.0000000000000000")
    client.send(b, client.headers(b))
    for broken in (
        body(pspId=""),
        body(accessToken="T" * 129),
        body(acquirerId=1022088000000000001),
        body(accessToken=...),
        body(acquirerId="\U0001d49c" * 3),
        body(extra="an undocumented field"),
        (
            b'{"pspId":"x","pspId":"2160120000000001","acquirerId":"1022088000000000001",'
            b'"accessToken":"RefTok.base.7f3a9c1e5b2d4f60"}'
        ),
        b"not json",
        b"",
    ):
        client.send(broken, client.headers(broken))
    b = body()
    client.send(b, client.headers(b, signed=body(pspId="2160120000000002")))  # does not verify
    client.send(b, {k: v for k, v in client.headers(b).items() if k != "Signature"})
    client.send(b, {k: v for k, v in client.headers(b).items() if k != "Client-Id"})
    client.send(b, client.headers(b, client_id="SOMEONE_ELSE"))
    client.send(b, {**client.headers(b), "Content-Type": "text/plain"})
    client.send(b, client.headers(b), method="GET")
    client.send(b, {k.lower(): v for k, v in client.headers(b, spaced=True).items()})
    z = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    client.send(b, client.headers(b, time=z))
    client.send(b, client.headers(b, time="2019-05-28 12:12:12"))
    client.http.close()


def profile(extra: str = "") -> str:
    """The reference wallet's profile (its tokens and keys), with the Alipay+ public key."""
    return (
        data.profile_toml("http://127.0.0.1:1")
        + f'\n[observe]\nalipayplus_public_key = "{TESTDATA / "alipayplus-public.pem"}"\n'
        + extra
    )


def settings(text: str, upstream: str, role: str, **options: Any) -> ObserveSettings:
    parsed = parse(tomllib.loads(text), TESTDATA)
    return override(parsed, "127.0.0.1:0", upstream, role, **options)


@contextmanager
def session(
    s: ObserveSettings, folder: Path, transcript: bool = False, limits: Limits | None = None
) -> Iterator[Running]:
    with observe(s, Paths.beside(folder / "observation.html", transcript), limits) as running:
        yield running


def broken(results: dict[str, Any]) -> set[str]:
    return {r["id"] for r in results["requirements"] if r["status"] in ("failed", "warned")}


def judged(results: dict[str, Any]) -> set[str]:
    return {r["id"] for r in results["requirements"] if r["status"] != "not applicable"}


def assert_named(fault: Fault, results: dict[str, Any], provoked: bool = True) -> None:
    """The fault's requirements that traffic can show are found, and nothing it does not break."""
    found, visible = broken(results), set(fault.catches) & judged(results)
    if provoked:
        assert visible <= found, f"{fault.name} not found: {sorted(found)}"
    assert found <= set(fault.catches) | set(fault.also), f"{fault.name} broke {sorted(found)}"
