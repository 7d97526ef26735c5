"""`[observe]` and the rest of the profile an observation uses: keys, tokens, levels, TLS."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from conformance import signing
from conformance.contract.catalogue import Catalogue
from conformance.contract.spec import alipaycn_acquirer_id
from conformance.core.errors import ProfileError
from conformance.profile import SECTIONS, Reader, Token, levels, tokens
from conformance.profile.carriers import HEADER, HOST, VISIBLE
from conformance.profile.limits import parse_tls
from conformance.profile.sections import DEFAULT_PATH, LONGEST_CLIENT_ID, OBSERVE_KEYS
from conformance.profile.table import Table, http_url, one_of
from conformance.profile.tls import Tls

ROLES = ("wallet", "alipayplus")
DEFAULT_LISTEN = ("127.0.0.1", 8470)


@dataclass(frozen=True, eq=False)
class ObserveSettings:
    """Where the proxy listens and forwards, which side it judges, and what it may know."""

    role: str | None = None
    upstream: str | None = None
    host: str = DEFAULT_LISTEN[0]
    port: int = DEFAULT_LISTEN[1]
    # Generous: the proxy must never give up before the real client would.
    timeout: float = 60.0
    # A request for the same authUrl this soon after the last answer is a retry of that flow.
    retry_window: float = 10.0
    # Only requests to this path are judged (others pass through, counted); None: every request.
    path: str | None = None
    role_paths: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    wallet_public_key: signing.PublicKey | None = None
    alipayplus_public_key: signing.PublicKey | None = None
    wallet_client_id: str | None = None  # the wallet's Client-Id, for PAI-REQ-CLIENT-ID
    alipayplus_client_id: str | None = None  # Alipay+'s Client-Id at the wallet ([target])
    psp_id: str = ""
    acquirer_id: str = ""  # the acquirerId a correct inquiryUserInfo carries ([target])
    auth_urls: tuple[str, ...] = ()  # authUrls Alipay+ resolves ([provider] auth_urls)
    tokens: tuple[Token, ...] = ()
    levels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tls: Tls = field(default_factory=Tls)  # trust towards the upstream
    listen_cert: Path | None = None  # serve TLS with this certificate (and key)
    listen_key: Path | None = None
    source: str = "(no profile)"
    digest: str = ""

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(t.access_token for t in self.tokens)

    @property
    def listen_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.listen_cert else 'http'}://{host}:{self.port}"

    def listen_context(self) -> ssl.SSLContext | None:
        """The server TLS context, when the proxy listens on TLS."""
        if self.listen_cert is None:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ctx.load_cert_chain(self.listen_cert, self.listen_key)
        except (OSError, ssl.SSLError) as exc:
            raise ProfileError(
                "--tls-cert / [observe] tls_cert", f"cannot be used ({exc})", "give a PEM file"
            ) from None
        return ctx

    def upstream_context(self) -> ssl.SSLContext | None:
        """Verification towards an https upstream: always on, with [tls] or --ca-bundle."""
        return self.tls.context() if (self.upstream or "").startswith("https:") else None


def parse_listen(value: str, where: str = "--listen") -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets); port 0 picks a free one."""
    host, sep, port = value.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    host = host[1:-1] if bracketed else host
    if not sep or not port.isdigit() or int(port) > 65535 or not _listen_host(host, bracketed):
        shown = repr(value) if set(value) <= VISIBLE else "it"
        fix = "write e.g. 0.0.0.0:8470, or [::1]:8470 for an IPv6 address"
        raise ProfileError(where, f"{shown} is not HOST:PORT", fix)
    return host, int(port)


def _listen_host(host: str, bracketed: bool) -> bool:
    """A host name or IPv4 address, or an IPv6 address (written in brackets)."""
    if not bracketed:
        return bool(host) and set(host) <= HOST
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def parse_upstream(value: str, where: str = "--upstream") -> str:
    """scheme://host[:port]: the request-target goes through unchanged, as signatures cover it."""
    fix = 'write "https://host[:port]"'
    parts = urlsplit(http_url(value, where, fix))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProfileError(
            where,
            f"{value!r} has a path; a signed request's URI must reach the upstream unchanged",
            fix,
        )
    return f"{parts.scheme}://{parts.netloc}"


def _public(root: Table, *places: tuple[str, str]) -> signing.PublicKey | None:
    """The first public key found at (section, key), in order of preference."""
    for section, key in places:
        table = root.table(section)
        if key in table:
            return table.public_key(key)
    return None


def _first_text(root: Table, *places: tuple[str, str]) -> str | None:
    for section, key in places:
        value = root.table(section).text(key, None, on=HEADER, longest=LONGEST_CLIENT_ID)
        if value is not None:
            return value
    return None


def _role_paths(root: Table) -> Mapping[str, str]:
    """The path each role's section of the profile names: the one an observation judges."""
    paths = root.table("target").data.get("paths")
    provider = root.table("provider").data.get("path", DEFAULT_PATH) if "provider" in root else None
    found = (
        ("wallet", paths.get("inquiryUserInfo") if isinstance(paths, dict) else None),
        ("alipayplus", provider),
    )
    return MappingProxyType(
        {role: p for role, p in found if isinstance(p, str) and p.startswith("/")}
    )


def _build(root: Table, catalogue: Catalogue | None, source: str, digest: str) -> ObserveSettings:
    """[observe] and what an observation uses of the other sections; no private key needed."""
    root.only(SECTIONS, "profile section")
    table = root.table("observe")
    table.only(OBSERVE_KEYS, "[observe] setting")
    listen = table.text("listen", None)
    host, port = parse_listen(listen, table.at("listen")) if listen else DEFAULT_LISTEN
    upstream = table.text("upstream", None)
    cert = table.file("tls_cert", '"tls/proxy.pem"')
    target = root.table("target").data
    psp_id, acquirer_id = target.get("psp_id"), target.get("acquirer_id", alipaycn_acquirer_id())
    urls = root.table("provider").data.get("auth_urls") if "provider" in root else None
    return ObserveSettings(
        role=table.choice("role", ROLES) if "role" in table else None,
        upstream=parse_upstream(upstream, table.at("upstream")) if upstream else None,
        host=host,
        port=port,
        timeout=table.number("timeout", 60.0, 0.05, 3600),
        retry_window=table.number("retry_window", 10.0, 0.01, 3600),
        path=table.url_path("path") if "path" in table else None,
        role_paths=_role_paths(root),
        wallet_public_key=_public(
            root,
            ("observe", "wallet_public_key"),
            ("gateway", "wallet_public_key"),
            ("keys", "wallet_public_key"),
        ),
        alipayplus_public_key=_public(
            root, ("observe", "alipayplus_public_key"), ("provider", "public_key")
        ),
        wallet_client_id=_first_text(
            root,
            ("observe", "wallet_client_id"),
            ("gateway", "client_id"),
            ("provider", "client_id"),
        ),
        alipayplus_client_id=_first_text(root, ("target", "client_id")),
        psp_id=psp_id if isinstance(psp_id, str) else "",
        acquirer_id=acquirer_id if isinstance(acquirer_id, str) else "",
        auth_urls=tuple(u for u in urls if isinstance(u, str)) if isinstance(urls, list) else (),
        tokens=tokens(root),
        levels=levels(root, catalogue),
        tls=parse_tls(root),
        listen_cert=cert,
        listen_key=table.file("tls_key", '"tls/proxy-key.pem"') if cert else None,
        source=source,
        digest=digest,
    )


OBSERVE = Reader(_build)
parse = OBSERVE.parse


def load(path: Path | None, catalogue: Catalogue | None = None) -> ObserveSettings:
    """The profile's observation settings; without a profile, only the defaults."""
    return ObserveSettings() if path is None else OBSERVE.load(path, catalogue)


def override(
    settings: ObserveSettings,
    listen: str | None = None,
    upstream: str | None = None,
    role: str | None = None,
    ca_bundle: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    timeout: float | None = None,
    path: str | None = None,
) -> ObserveSettings:
    """Command-line options over the profile; refuses a session that lacks its upstream or role."""
    host, port = parse_listen(listen) if listen else (settings.host, settings.port)
    out = replace(
        settings,
        host=host,
        port=port,
        upstream=parse_upstream(upstream) if upstream else settings.upstream,
        role=one_of(role, ROLES, "--role") if role else settings.role,
        tls=settings.tls.with_ca_bundle(ca_bundle.resolve() if ca_bundle else None),
        listen_cert=tls_cert or settings.listen_cert,
        listen_key=tls_key if tls_cert else settings.listen_key,
        timeout=timeout if timeout is not None else settings.timeout,
    )
    if path is not None and path != "*" and not path.startswith("/"):
        raise ProfileError("--path", f"{path!r} does not start with /", "write --path /... or '*'")
    # The path the role's section of the profile names, unless one is given.
    chosen = path or settings.path or out.role_paths.get(out.role or "")
    out = replace(out, path=None if chosen == "*" else chosen)
    if out.upstream is None:
        raise ProfileError(
            "--upstream / [observe] upstream", "is missing", 'pass --upstream "https://host"'
        )
    if out.role is None:
        raise ProfileError(
            "--role / [observe] role", "is missing", f"use one of {', '.join(ROLES)}"
        )
    if not 0.05 <= out.timeout <= 3600:
        raise ProfileError("--timeout", "must be a number of seconds in [0.05, 3600]", "")
    out.upstream_context()
    out.listen_context()
    return out
