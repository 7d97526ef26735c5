"""Provider verification: the engine aimed at an Alipay+-side prepareAuthInfo server, the suite
as the wallet."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from types import MappingProxyType

from hypothesis import strategies as st

from conformance import signing
from conformance.contract.spec import Api
from conformance.core.model import Case
from conformance.engine.target import Engine
from conformance.generation import strategies as S
from conformance.profile import Token

API = "prepareAuthInfo"


@contextmanager
def open_provider(engine: Engine, reference: str | None = None) -> Iterator[Engine]:
    """An engine for the [provider] server; the embedded reference Alipay+ server when certifying
    the reference."""
    settings = engine.profile.provider
    assert settings is not None
    with ExitStack() as stack:
        base_url = settings.base_url
        if reference is not None and engine.loopback is None:
            from conformance.reference.apart import serve_apart

            base_url = stack.enter_context(serve_apart("alipayplus", reference))
        elif reference is not None and engine.loopback is not None:
            from conformance.reference.faults import make_server
            from conformance.reference.threaded import serve

            app = make_server(reference).app()
            base_url = stack.enter_context(serve(app))
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

        def auth(tamper: signing.Tamper) -> signing.RSA256Auth:
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


def keys(engine: Engine) -> tuple[Token, ...]:
    """The authUrls the profile declares resolvable, each the key of one valid request."""
    settings = engine.profile.provider
    return tuple(S.key_token(url) for url in settings.auth_urls) if settings else ()


def valid_case(api: Api, engine: Engine) -> st.SearchStrategy[Case]:
    """A valid request for any of the declared authUrls."""
    return st.sampled_from(keys(engine)).flatmap(lambda t: S.valid_case(api, engine.profile, t))
