"""Every request form a real HTTP client sends reaches the gateway and the observe proxy, over real
loopback sockets: an absolute-form target (as the Alipay+ SDK's http.client sends it), a Host with
a port, a chunked body and `Expect: 100-continue`; each is routed, recorded with its path and
query as the Request-URI, and its signature judged valid."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import signing
from conformance.checks import Context, judge
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.gateway import replies
from conformance.gateway.scenarios import SCENARIOS, auth_url
from conformance.gateway.server import Gateway, HeaderCaseH11
from conformance.profile.sections import GatewaySettings
from conformance.reference import data
from conformance.reference.alipayplus import AlipayPlus
from conformance.reference.client import PrepareClient
from conformance.reference.threaded import serve

from .observe_traffic import session, settings

PATH = data.GATEWAY_PATH
NONCE = "mppc00000000000f0a11"
TIMEOUT = 5.0  # a safety net on every socket read, never a wait the test relies on


@dataclass(frozen=True)
class Form:
    """One way of sending the request: its target (PORT stands for the listening port), the
    headers it adds and how its body is framed."""

    target: str
    headers: dict[str, str] = field(default_factory=dict)
    framing: str = "length"  # length, chunked, or continue (Expect: 100-continue)

    @property
    def uri(self) -> str:
        """The Request-URI the client signs: the target's path and query."""
        return PATH + self.target.partition(PATH)[2]


FORMS = {
    "absolute http, Host with a port": Form(f"http://127.0.0.1:PORT{PATH}"),
    "absolute https, host without a port": Form(f"https://open-sea-global.alipayplus.com{PATH}"),
    "absolute https with a port and a query": Form(f"https://gw.example:8443{PATH}?trace=a%2Fb"),
    "absolute, another Host with a port": Form(
        f"http://127.0.0.1:PORT{PATH}", {"Host": "open-sea-global.alipayplus.com:443"}
    ),
    "absolute, chunked body": Form(f"https://gw.example{PATH}", framing="chunked"),
    "absolute, Expect: 100-continue": Form(f"http://127.0.0.1:PORT{PATH}", framing="continue"),
}


@pytest.mark.parametrize(
    "target,origin",
    [
        ("https://gw.example/aps/x?a=1&b=%2F", "/aps/x?a=1&b=%2F"),
        ("http://127.0.0.1:8471/aps/x", "/aps/x"),
        ("HTTPS://GW.EXAMPLE:443", "/"),
        ("/aps/x?a=1", "/aps/x?a=1"),
        ("//aps/x", "//aps/x"),  # an origin-form path, not an authority
        ("*", "*"),
        ("gw.example:443", "gw.example:443"),  # authority-form: CONNECT's
        ("ftp://gw.example/aps/x", "ftp://gw.example/aps/x"),
        ("http://[::1/aps/x", "http://[::1/aps/x"),  # no URI: left for routing to refuse
    ],
)
def test_an_absolute_form_target_is_routed_as_its_path_and_query(target: str, origin: str) -> None:
    assert signing.origin_form(target) == origin


def signed(uri: str, body: bytes) -> dict[str, str]:
    """Headers the reference wallet's client signs over this Request-URI."""
    return PrepareClient().headers(uri, body)


def send(port: int, form: Form, body: bytes) -> tuple[int, bytes]:
    """Send one request in this form to 127.0.0.1:port; its status and body."""
    target = form.target.replace("PORT", str(port))
    headers = {**signed(form.uri, body), **form.headers}
    if form.framing == "continue":
        return _after_continue(port, target, headers, body)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        if form.framing == "chunked":  # no Content-Length: http.client frames it in chunks
            half = len(body) // 2
            conn.request("POST", target, iter([body[:half], body[half:]]), headers)
        else:
            conn.request("POST", target, body, headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _after_continue(
    port: int, target: str, headers: dict[str, str], body: bytes
) -> tuple[int, bytes]:
    """Send the head with `Expect: 100-continue` and the body only once 100 Continue came."""
    lines = [f"POST {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Expect: 100-continue"]
    lines += [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Length: {len(body)}"]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = sock.recv(65536)
            assert chunk, f"the connection closed before 100 Continue: {interim!r}"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 "), interim
        assert interim.endswith(b"\r\n\r\n"), "nothing but the interim answer before the body"
        sock.sendall(body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, answer.read()


def _body() -> bytes:
    return PrepareClient().encode({"authUrl": auth_url(NONCE), "acquirerId": data.ACQUIRER_ID})


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, int]]:
    s = GatewaySettings(
        data.public_key("wallet"),
        data.private_key("alipayplus"),
        port=0,
        client_id=data.WALLET_CLIENT_ID,
    )
    found = Gateway(s, s.psp_id, SCENARIOS["success"])
    found.expect(NONCE, SCENARIOS["success"], auth_url(NONCE))
    with serve(found.app(), "127.0.0.1", 0, http=HeaderCaseH11) as url:
        yield found, int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_the_gateway_routes_records_and_judges_every_form(
    gateway: tuple[Gateway, int], form: Form
) -> None:
    found, port = gateway
    status, answer = send(port, form, _body())
    assert status == 200, answer
    assert json.loads(answer)["result"]["resultStatus"] == "S"
    (arrival,) = found.arrivals_for(NONCE)
    request = arrival.exchange.request
    assert request.uri == form.uri
    assert request.body == _body()
    assert request.url == form.target.replace("PORT", str(port))  # as asked, RFC 9112 §3.3
    c = contract()
    ctx = Context(c.apis["prepareAuthInfo"], c, catalogue(), "PAI", data.public_key("wallet"))
    outcomes = judge(arrival.exchange, ctx)
    assert [o for o in outcomes if not o.ok] == []
    assert any(o.requirement == "PAI-REQ-SIGNED" for o in outcomes)
    assert found.strays == []


def through_observe(tmp_path: Path, form: Form) -> tuple[int, bytes, str, list[Any], Any]:
    """Send one request through the proxy in front of the reference Alipay+ server: its status and
    body, the upstream's URL, and the session's transcript entry and results once it ended."""
    text = data.profile_toml("http://127.0.0.1:1", gateway_port=0, provider=True)
    body = PrepareClient().encode({"authUrl": data.AUTH_URLS[0], "acquirerId": data.ACQUIRER_ID})
    with (
        serve(AlipayPlus().app()) as upstream,
        session(settings(text, upstream, "alipayplus"), tmp_path, transcript=True) as run,
    ):
        status, answer = send(int(run.url.rsplit(":", 1)[1]), form, body)
    transcript = (tmp_path / "observation.jsonl").read_text(encoding="utf-8")
    return status, answer, upstream, [json.loads(n) for n in transcript.splitlines()], run.results


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_observe_forwards_and_judges_every_form(tmp_path: Path, form: Form) -> None:
    status, answer, upstream, entries, results = through_observe(tmp_path, form)
    assert status == 200, answer  # the upstream routed it: it went on in origin-form
    assert json.loads(answer)["result"]["resultStatus"] == "S"
    (entry,) = entries
    assert entry["request"]["url"] == upstream + form.uri
    assert entry["broke"] == []
    assert results["observation"]["judged"] == 1
    rows = {r["id"]: r["status"] for r in results["requirements"]}
    assert rows["PAI-REQ-SIGNED"] == "passed"


def test_a_reply_the_wallet_hung_up_on_is_recorded_as_never_received(
    gateway: tuple[Gateway, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wallet whose timeout passed before the gateway's F was written never received it: its
    next request is the retry the contract asks for, not a retry after F."""
    found, port = gateway
    found.expect(NONCE, SCENARIOS["f-ACCESS_DENIED"], auth_url(NONCE))
    gone, build = threading.Event(), replies.build

    def late_build(*args: Any) -> Any:  # the wallet has given up by the time the reply is made
        gone.wait(TIMEOUT)
        return build(*args)

    monkeypatch.setattr(replies, "build", late_build)
    head = [f"POST {data.GATEWAY_PATH} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    head += [f"{k}: {v}" for k, v in signed(data.GATEWAY_PATH, _body()).items()]
    head += [f"Content-Length: {len(_body())}"]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as wallet:
        wallet.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + _body())
    gone.set()  # closed: a wallet that stopped waiting
    status, answer = send(
        port, Form(f"http://127.0.0.1:PORT{PATH}"), _body()
    )  # sent again, read to the end
    assert status == 200 and json.loads(answer)["result"]["resultStatus"] == "F"
    first, second = found.arrivals_for(NONCE)
    assert (first.hung_up, second.hung_up) == (True, False)
    assert first.exchange.error is not None and "never received it" in first.exchange.error
    assert second.exchange.error is None
