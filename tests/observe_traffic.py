"""Independent traffic for the observation tests: an Alipay+ client written here from the contract
pages, with plain httpx and cryptography (nothing of the suite's sender or signing module), and
helpers to run a session in front of a served app."""

from __future__ import annotations

import base64
import json
import socketserver
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conformance.commands import observe as observe_command
from conformance.observe import Paths, Running, observe
from conformance.observe.bounds import ProxyLimits
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
    path: str = PATH
    client_id: str = CLIENT_ID
    extra: dict[str, str] = field(default_factory=dict)  # sent with every request
    answers: list[httpx.Response | Exception] = field(default_factory=list)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10, verify=False))

    def signature(self, content: bytes, form: str = "sha256") -> str:
        """RSA256 (SHA256withRSA), or the content signed in another form a lax verifier takes."""
        if form == "bare-sha256":  # PKCS#1 v1.5 padding around the bare digest, no DigestInfo
            digest = hashes.Hash(hashes.SHA256())
            digest.update(content)
            n, size = self.key.public_key().public_numbers().n, self.key.key_size // 8
            block = b"\x00\x01" + b"\xff" * (size - 35) + b"\x00" + digest.finalize()
            value = pow(int.from_bytes(block), self.key.private_numbers().d, n)
            raw = value.to_bytes(size)
        elif form == "pss":
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
            raw = self.key.sign(content, pss, hashes.SHA256())
        else:
            digest_kind = {"sha256": hashes.SHA256, "sha1": hashes.SHA1}[form]()
            raw = self.key.sign(content, padding.PKCS1v15(), digest_kind)
        return quote(base64.b64encode(raw).decode(), safe="")

    def headers(
        self,
        body: bytes,
        time: str | None = None,
        client_id: str | None = None,
        signed: bytes | None = None,
        spaced: bool = False,
        method: str = "POST",
        form: str = "sha256",
        algorithm: str = "RSA256",
    ) -> dict[str, str]:
        time = time or datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0).isoformat()
        client_id = client_id or self.client_id
        content = f"{method} {self.path}\n{client_id}.{time}.".encode() + (
            signed if signed is not None else body
        )
        sep = ", " if spaced else ","
        value = self.signature(content, form)
        return {
            "Content-Type": "application/json; charset=UTF-8",
            "Client-Id": client_id,
            "Request-Time": time,
            "Signature": sep.join((f"algorithm={algorithm}", "keyVersion=1", f"signature={value}")),
        }

    def send(self, body: bytes, headers: dict[str, str], method: str = "POST") -> None:
        try:
            url = self.base_url + self.path
            headers = {**headers, **self.extra}
            self.answers.append(self.http.request(method, url, content=body, headers=headers))
        except httpx.HTTPError as exc:
            self.answers.append(exc)


def body(indent: int | None = None, **fields: Any) -> bytes:
    """A request body written compactly, as Alipay+ sends it (or indented)."""
    base: dict[str, Any] = {
        "pspId": PSP_ID,
        "acquirerId": ACQUIRER_ID,
        "accessToken": data.SEEDS[0].token,
    }
    base.update(fields)
    kept = {k: v for k, v in base.items() if v is not ...}
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(kept, indent=indent, separators=separators, ensure_ascii=False).encode()


def wallet_client(base_url: str, extra: dict[str, str] | None = None) -> AlipayPlus:
    """A wallet calling prepareAuthInfo: the same signing, with the wallet's key and Client-Id."""
    key, path, client_id = _key("wallet-private.pem"), data.GATEWAY_PATH, data.WALLET_CLIENT_ID
    return AlipayPlus(base_url, key, path, client_id, extra or {})


def prepare_body(indent: int | None = None, **fields: Any) -> bytes:
    """A prepareAuthInfo body for the authUrl the profile declares, written compactly."""
    base = {"authUrl": data.AUTH_URLS[0], "acquirerId": ACQUIRER_ID, **fields}
    kept = {k: v for k, v in base.items() if v is not ...}
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(kept, indent=indent, separators=separators, ensure_ascii=False).encode()


def prepare_calls(client: AlipayPlus) -> None:
    """What a careless wallet sends Alipay+: a valid call, then calls that break one rule each."""
    client.send(prepare_body(), client.headers(prepare_body()))
    for broken in (
        prepare_body(acquirerId=...),
        prepare_body(acquirerId=""),
        prepare_body(acquirerId=1022088000000000001),
        prepare_body(acquirerId=[ACQUIRER_ID]),
        prepare_body(acquirerId="1022088000000000002"),
        prepare_body(authUrl=data.AUTH_URLS[0] + "&x=" + "y" * 2048),
        prepare_body(extra="an undocumented field"),
        prepare_body(indent=2),
        prepare_body().replace(b"/", b"\\/"),  # JSON allows the solidus escaped
        prepare_body(acquirerId="\U0001d49c" * 3),
        prepare_body().replace(b"{", b'{"acquirerId":"x",', 1),  # a key written twice
        b"not json",
        b"",
    ):
        client.send(broken, client.headers(broken))
    signed_wrongly(client, prepare_body())


def signed_wrongly(client: AlipayPlus, b: bytes) -> None:
    """The valid body with its headers or signature broken, one way each."""
    other = b.replace(b"1022088000000000001", b"1022088000000000002")
    client.send(b, client.headers(b, signed=other))  # does not verify
    client.send(b, {k: v for k, v in client.headers(b).items() if k != "Signature"})
    client.send(b, {k: v for k, v in client.headers(b).items() if k != "Client-Id"})
    client.send(b, client.headers(b, client_id="SOMEONE_ELSE"))
    client.send(b, {**client.headers(b), "Content-Type": "text/plain"})
    client.send(b, client.headers(b, method="GET"), method="GET")
    for form in ("sha1", "pss", "bare-sha256"):
        client.send(b, client.headers(b, form=form))
    client.send(b, client.headers(b, algorithm="RSA512"))
    client.send(b, {k.lower(): v for k, v in client.headers(b, spaced=True).items()})
    z = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    client.send(b, client.headers(b, time=z))
    client.send(b, client.headers(b, time="2019-05-28 12:12:12"))
    client.http.close()


def acceptance(client: AlipayPlus) -> None:
    """What an acceptance session sends: every test user, then calls that break one rule each."""
    for seed in data.SEEDS:
        b = body(accessToken=seed.token)
        client.send(b, client.headers(b))
    b = body(accessToken=data.SEEDS[0].token)  # as a service provider acting for a partner
    client.send(b, {**client.headers(b), "Agent-Token": "AgTk.5e0b2c"})
    b = body(accessToken="NoSuchToken.0000000000000000")
    client.send(b, client.headers(b))
    for broken in (
        body(pspId=""),
        body(accessToken="T" * 129),
        body(acquirerId=1022088000000000001),
        body(accessToken=...),
        body(acquirerId="\U0001d49c" * 3),
        body(extra="an undocumented field"),
        body(acquirerId=...),
        body(acquirerId=""),
        body(acquirerId="1" * 65),
        body(acquirerId=[ACQUIRER_ID]),
        body(pspId="2160120000000002"),
        body(indent=2),
        (
            b'{"pspId":"x","pspId":"2160120000000001","acquirerId":"1022088000000000001",'
            b'"accessToken":"RefTok.base.7f3a9c1e5b2d4f60"}'
        ),
        b"not json",
        b"",
    ):
        client.send(broken, client.headers(broken))
    signed_wrongly(client, body())


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
    s: ObserveSettings, folder: Path, transcript: bool = False, limits: ProxyLimits | None = None
) -> Iterator[Running]:
    with observe(s, Paths.beside(folder / "observation.html", transcript), limits) as running:
        yield running


def broken(results: Mapping[str, Any]) -> set[str]:
    return {r["id"] for r in results["requirements"] if r["status"] in ("failed", "warned")}


def judged(results: Mapping[str, Any]) -> set[str]:
    return {r["id"] for r in results["requirements"] if r["status"] != "not applicable"}


def assert_named(
    fault: Fault,
    results: Mapping[str, Any],
    provoked: bool = True,
    unprovoked: tuple[str, ...] = (),
) -> None:
    """The fault's requirements that traffic can show are found (but those it does not provoke),
    and nothing it does not break."""
    found, visible = broken(results), set(fault.catches) & judged(results) - set(unprovoked)
    if provoked:
        assert visible <= found, f"{fault.name} not found: {sorted(found)}"
    assert found <= set(fault.catches) | set(fault.also), f"{fault.name} broke {sorted(found)}"


@contextmanager
def raw_server(handler: type[socketserver.BaseRequestHandler]) -> Iterator[str]:
    """A plain TCP upstream whose handler sees and writes exact bytes; yields its base URL."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wait_until(condition: Callable[[], object], within: float, what: str) -> None:
    """Wait for condition, polled, for at most `within` seconds; fail naming what was awaited."""
    end = time.monotonic() + within
    while not condition():
        assert time.monotonic() < end, f"waited {within:g} s for {what}"
        time.sleep(0.01)


def held_open(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """`conformance observe` keeps its session, rewriting reports as it does, until the returned
    event is set; only then does its --duration start to run out. A test's traffic never races
    the duration."""
    seen, wait = threading.Event(), observe_command._wait

    def then_duration(
        stop: threading.Event, duration: float | None, every: float | None, write: Any
    ) -> None:
        wait(seen, None, every, write)
        wait(stop, duration, every, write)

    monkeypatch.setattr(observe_command, "_wait", then_duration)
    return seen
