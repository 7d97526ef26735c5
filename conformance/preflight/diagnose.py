"""What a preflight answer says about the set-up: each wrong setting named with its fix."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from conformance import signing
from conformance.core.model import Exchange

# (what happened, how to fix it)
Diagnosis = tuple[str, str]


@dataclass(frozen=True, eq=False)
class Setup:
    """One server role as the profile states it: the values a diagnosis names, and their fields."""

    role: str  # "wallet (inquiryUserInfo)"
    api: str
    server: str  # who answers: "the wallet", "the Alipay+ server"
    table: str  # where base_url is written: "[target]"
    base_url: str
    path: str
    path_field: str
    client_id: str
    client_field: str
    signing_key: signing.PrivateKey
    key_field: str
    key_version: str
    version_field: str
    peer_key: signing.PublicKey
    peer_field: str
    public_hint: str  # where the public half of signing_key is to be found
    timeout: float = 10.0  # seconds the answer may take
    timeout_field: str = "[target] timeout"

    @property
    def url(self) -> str:
        return self.base_url + self.path


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def transport(error: str, url: str, field: str, what: str) -> Diagnosis | None:
    """A transport error that shows the address or TLS settings are wrong; None for the rest."""
    host = _host(url)
    if "SSL" in error or "TLS" in error or "certificate" in error.lower():
        if "WRONG_VERSION_NUMBER" in error or "wrong version number" in error:
            return (
                f"{host} does not speak TLS ({error})",
                f"write {field} with http://, or point it at the TLS port",
            )
        if "CERTIFICATE_VERIFY_FAILED" in error:
            return (
                f"the TLS certificate of {host} is not trusted ({error})",
                "pass --ca-bundle with the CA that issued it (or set [tls] ca_bundle)",
            )
        return (
            f"the TLS handshake with {host} failed ({error})",
            (
                "if it asks for a client certificate, set [tls] client_cert and client_key; "
                "if it uses a private CA, pass --ca-bundle"
            ),
        )
    if "ConnectTimeout" in error:
        return (
            f"no connection to {host} could be opened in time (a firewall, or a wrong address)",
            f"correct {field}, or let this machine reach {host}",
        )
    if "ConnectError" not in error:
        return None  # the connection was made: what follows is the server's behaviour
    lowered = error.lower()
    if "name" in lowered or "address" in lowered or "nodename" in lowered:
        return (f"the host of {url} cannot be resolved ({error})", f"correct {field}")
    return (
        f"nothing accepts connections at {host} ({error})",
        f"start {what}, or correct {field}",
    )


def silence(error: str, url: str, field: str, what: str, wait: tuple[float, str]) -> Diagnosis:
    """A connection was made but no HTTP answer came: a hang, a reset, or another protocol.
    `wait` is the timeout and the setting that gives it."""
    host = _host(url)
    if error.startswith("timeout") or "Timeout" in error:
        return (
            f"{host} accepted the connection but gave no answer within {wait[0]:g} s",
            (
                f"check that {what} answers at {url} and is not stuck; if it is only slow, "
                f"raise {wait[1]}"
            ),
        )
    if "reset" in error.lower() or "broken pipe" in error.lower():
        return (
            f"{host} reset the connection instead of answering ({error})",
            (
                f"correct {field} to the port {what} serves HTTP on; if a firewall or proxy "
                "resets it, let this machine through"
            ),
        )
    if "without sending a response" in error:
        return (
            f"{host} closed the connection without an HTTP answer ({error})",
            (
                f"correct {field} to the port {what} serves HTTP on; if it is right, {what} "
                "failed on the request: see its log"
            ),
        )
    return (
        f"{host} answered with something that is not HTTP ({error})",
        f"correct {field} to the port {what} serves HTTP on (https:// if it speaks TLS)",
    )


def _not_the_api(ex: Exchange, setup: Setup) -> Diagnosis | None:
    """An HTTP answer that is not the API's JSON answer: another server, or another path."""
    assert ex.response is not None
    if ex.result_status is not None:
        return None  # the API's answer: whether it is right, the suite judges
    kind = ex.response.header("content-type") or "no Content-Type"
    return (
        (
            f"POST {setup.url} answered HTTP {ex.response.status} ({kind}), not the {setup.api} "
            "JSON answer (an object whose result has a resultStatus)"
        ),
        (
            f"point {setup.table} base_url and {setup.path_field} at {setup.server}'s "
            f"{setup.api}; if they are right, {setup.server} must answer it with its JSON result"
        ),
    )


def answer(ex: Exchange, setup: Setup) -> Diagnosis | None:
    """The answer to one valid, signed request: None when it shows nothing wrong with the set-up."""
    if ex.response is None:
        error = ex.error or "no answer"
        field = f"{setup.table} base_url"
        found = transport(error, setup.url, field, setup.server)
        wait = (setup.timeout, setup.timeout_field)
        return found or silence(error, setup.url, field, setup.server, wait)
    fingerprint = signing.fingerprint(setup.signing_key)
    code, status = ex.code, ex.response.status
    if status == 404 or code == "NO_INTERFACE_DEF":
        return (
            (
                f"POST {setup.url} answered {code or f'HTTP {status}'}: {setup.server} serves no "
                f"{setup.api} at {setup.path}"
            ),
            f"set {setup.path_field} to the path {setup.server} serves it at",
        )
    if code == "INVALID_SIGNATURE":
        return (
            (
                f"{setup.server} refused a valid request with INVALID_SIGNATURE: it does not hold "
                f"the public key of {setup.key_field} ({fingerprint}) for Client-Id "
                f"{setup.client_id!r}, keyVersion {setup.key_version!r}"
            ),
            (
                f"register that public key with {setup.server} for Client-Id {setup.client_id!r} "
                f"and keyVersion {setup.key_version!r} ({setup.public_hint}), or set "
                f"{setup.key_field} to the key registered there"
            ),
        )
    if code == "INVALID_CLIENT":
        return (
            (
                f"{setup.server} does not know the Client-Id sent, {setup.client_id!r} "
                f"(INVALID_CLIENT)"
            ),
            f"set {setup.client_field} to the Client-Id {setup.server} registered for this caller",
        )
    if code == "KEY_NOT_FOUND":
        return (
            (
                f"{setup.server} has no key with keyVersion {setup.key_version!r} for Client-Id "
                f"{setup.client_id!r} (KEY_NOT_FOUND)"
            ),
            (
                f"set {setup.version_field} to the version under which {setup.server} registered "
                f"the key {fingerprint}"
            ),
        )
    return _not_the_api(ex, setup) or _response_key(ex, setup)


def _response_key(ex: Exchange, setup: Setup) -> Diagnosis | None:
    """A response signature made with another key than the one the profile names."""
    assert ex.response is not None
    header = ex.response.header("signature")
    try:
        sig = signing.parse_signature_header(header or "")
    except ValueError:
        return None  # unsigned or malformed: the suite judges it
    if signing.signed_with(sig.signature, setup.peer_key):
        return None  # the right key; whether it covers the right content, the suite judges
    return (
        (
            f"the response signature was not made with {setup.peer_field} "
            f"({signing.fingerprint(setup.peer_key)})"
        ),
        f"set {setup.peer_field} to the public key {setup.server} signs its responses with",
    )


def summary(ex: Exchange) -> str:
    """What came back, in a few words."""
    if ex.response is None:
        return ex.error or "no answer"
    return f"HTTP {ex.response.status}" + (f", {ex.code}" if ex.code else "")


def trigger_url(url: str, field: str, timeout: float) -> tuple[str, Diagnosis | None]:
    """The trigger endpoint answers HTTP (any status but 404); a GET starts no flow."""
    try:
        with httpx.Client(timeout=timeout) as http:
            status = http.get(url).status_code
    except httpx.HTTPError as exc:
        error, what = f"{type(exc).__name__}: {exc}", "the wallet's harness"
        wait = (timeout, "[trigger] timeout")
        return error, transport(error, url, field, what) or silence(error, url, field, what, wait)
    if status == 404:
        return f"HTTP {status}", (
            f"GET {url} answered HTTP 404: no trigger is served there",
            f"set {field} to the harness endpoint that starts a flow",
        )
    return f"answers (HTTP {status})", None


def trigger_command(command: tuple[str, ...]) -> tuple[str, Diagnosis | None]:
    """The trigger command can be run."""
    program = command[0]
    if shutil.which(program) is not None:
        return f"{program} found", None
    return f"{program} not found", (
        f"the trigger command {program!r} is not an executable on this machine",
        "set [trigger] command to a program this machine can run",
    )
