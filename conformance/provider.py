"""Provider verification: the engine aimed at an Alipay+-side prepareAuthInfo server, the suite
as the wallet."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import httpx
from hypothesis import strategies as st

from . import signing
from . import strategies as S
from .engine import Engine
from .model import Case, Expect
from .profile import Token
from .spec import Api, Field

API = "prepareAuthInfo"
ACQUIRER_ALIPAYCN = "1022088000000000001"


@contextmanager
def open_provider(engine: Engine, reference: str | None = None) -> Iterator[Engine]:
    """An engine for the [provider] server; the embedded reference Alipay+ server when certifying
    the reference."""
    settings = engine.profile.provider
    assert settings is not None
    with ExitStack() as stack:
        base_url = settings.base_url
        if reference is not None:
            from .reference.alipayplus import make_server
            from .reference.server import serve

            app = make_server(reference).app()
            base_url = stack.enter_context(serve(app))
            if engine.loopback is not None:
                engine.loopback.add(base_url, app)
        # The suite plays the wallet: it signs with the wallet's key and verifies with Alipay+'s.
        profile = replace(
            engine.profile,
            base_url=base_url,
            client_id=settings.client_id,
            suite_private_key=settings.signing_key,
            wallet_public_key=settings.public_key,
            key_version=settings.key_version,
            paths=MappingProxyType({API: settings.path}),
            timeout=settings.timeout,
        )

        def auth(tamper: signing.Tamper) -> httpx.Auth:
            return signing.RSA256Auth(
                settings.client_id,
                settings.signing_key,
                settings.key_version,
                tamper,
                foreign_key=engine.foreign_key,
            )

        # One run, one request budget and rate limit: the wallet's client, throttle and event loop
        # serve both.
        sender = copy.copy(engine.sender)
        sender.base_url, sender.auth, sender.timeout = base_url, auth, settings.timeout
        yield replace(engine, profile=profile, sender=sender, wallet=None)


def base_body(auth_url: str) -> dict[str, Any]:
    """The request a correct wallet sends for an intercepted authUrl."""
    return {"authUrl": auth_url, "acquirerId": ACQUIRER_ALIPAYCN}


def as_token(auth_url: str) -> Token:
    """The shared header-case builders name a token; here the request's secret-free key is its
    authUrl."""
    return Token(auth_url, frozenset(), "valid")


def valid_case(api: Api, auth_urls: tuple[str, ...]) -> st.SearchStrategy[Case]:
    expect = Expect("success", "VALID-SUCCESS")
    return st.sampled_from(auth_urls).flatmap(
        lambda url: S.encode(base_body(url)).map(lambda raw: Case(api.name, "valid", raw, expect))
    )


def invalid_case(api: Api, auth_url: str, f: Field, kind: str) -> st.SearchStrategy[Case]:
    expect = Expect(
        "refusal", "INVALID-REFUSED", "INVALID-PARAM-ILLEGAL", frozenset({"PARAM_ILLEGAL"})
    )
    body = base_body(auth_url)
    return (
        S.MUTATIONS[kind](f)
        .flatmap(lambda v: S.encode(S.mutated(body, f.name, v)))
        .map(lambda raw: Case(api.name, kind, raw, expect, field=f.name))
    )


def header_case(api: Api, engine: Engine, auth_url: str, name: str) -> st.SearchStrategy[Case]:
    make = S.header_cases(api, engine.profile, as_token(auth_url))[name]
    return S.encode(base_body(auth_url)).map(make)
