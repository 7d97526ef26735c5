"""The engine: a target opened for a session (a URL, or the embedded reference wallet), its
sender and the contexts its checks judge in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from typing import Any

from conformance import signing
from conformance.checks import Context
from conformance.contract.catalogue import Catalogue, catalogue
from conformance.contract.spec import Contract, contract
from conformance.core.model import Case, Exchange
from conformance.core.redact import Redactor
from conformance.generation.spaces import DEFAULT_EXAMPLES
from conformance.profile import Profile
from conformance.transport import loopback
from conformance.transport.loopback import Loopback
from conformance.transport.sender import Answer, Sender, open_sender

# prepareAuthInfo here is the provider role (PAS); the wallet-as-client role (PAI) lives in
# gateway/.
PREFIXES = {"inquiryUserInfo": "IUI", "prepareAuthInfo": "PAS"}


@dataclass(frozen=True)
class RunSettings:
    examples: int = DEFAULT_EXAMPLES
    seed: int | None = None
    derandomize: bool = True


@dataclass
class Engine:
    """Everything a test needs to probe one target; built once per session."""

    profile: Profile
    sender: Sender
    contract: Contract
    catalogue: Catalogue
    settings: RunSettings
    redactor: Redactor
    foreign_key: Any = None
    wallet: Any = None  # the embedded reference wallet, when it is the target
    loopback: Loopback | None = None  # the embedded servers, reached without sockets (tests)

    def context(self, api: str) -> Context:
        key = self.profile.wallet_public_key
        assert key is not None, "only a profile with [target] or [provider] sends requests"
        return Context(
            self.contract.apis[api],
            self.contract,
            self.catalogue,
            PREFIXES[api],
            key,
            self.profile.psp_id,
        )

    def exchange(self, case: Case) -> Exchange:
        return self.sender.send(case, self.profile.path(case.api))

    def submit(self, case: Case) -> Answer:
        """Start sending a case; up to the workers limit are in flight at once."""
        return self.sender.submit(case, self.profile.path(case.api))


@contextmanager
def open_engine(
    profile: Profile, run: RunSettings, reference: str | None = None
) -> Iterator[Engine]:
    """Open the target (starting the embedded reference wallet when asked) and yield an engine."""
    from conformance.reference import data

    with ExitStack() as stack:
        wallet, loop = None, None
        if reference is not None:
            from conformance.reference.faults import make_wallet

            wallet = make_wallet(reference)
            loop = loopback.transport()
            if loop is None:
                profile = stack.enter_context(_apart(profile, wallet, reference))
            else:
                from conformance.reference.threaded import serve

                app = wallet.app()
                url = stack.enter_context(serve(app))
                profile = replace(profile, base_url=url)
                loop.add(url, app)
        foreign = data.private_key("stranger")

        def auth(tamper: signing.Tamper) -> signing.RSA256Auth:
            assert profile.suite_private_key is not None, "no [target]: nothing to sign for"
            return signing.RSA256Auth(
                profile.client_id,
                profile.suite_private_key,
                profile.key_version,
                tamper,
                foreign_key=foreign,
            )

        verify = profile.tls.context() if profile.base_url.startswith("https:") else True
        sender = stack.enter_context(
            open_sender(profile.base_url, auth, profile.limits, profile.timeout, verify, loop)
        )
        yield Engine(
            profile,
            sender,
            contract(),
            catalogue().with_levels(profile.levels),
            run,
            Redactor.for_profile(profile),
            foreign,
            wallet=wallet,
            loopback=loop,
        )


@contextmanager
def _apart(profile: Profile, wallet: Any, variant: str) -> Iterator[Profile]:
    """The embedded wallet served by a process of its own; its prepareAuthInfo client and
    trigger stay here, where the suite's gateway tells the client where to send."""
    from conformance.reference import data
    from conformance.reference.apart import serve_apart
    from conformance.reference.client import harness_app
    from conformance.reference.threaded import serve

    with serve_apart("wallet", variant) as url, serve(harness_app(wallet)) as harness:
        trigger = profile.trigger and replace(
            profile.trigger, url=harness + data.HARNESS_PATH, path=None
        )
        yield replace(profile, base_url=url, trigger=trigger)
