"""Observed bytes -> the Exchange checks see -> outcomes, with the registered checks of a role.

A role judges with the same checks, contexts and requirement IDs as a certification run. The
answer a request calls for is derived from the request itself (expected.py), as the suite's own
Expect for a request of that shape: its signature, schema, token and values, read against the
profile. What traffic alone cannot settle is declared, never guessed: requirements that need a
request the suite chooses (twins, repeats, an unknown key version), or a key, a token or a value
the profile does not give, are not applicable, with the reason.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache

from conformance import signing
from conformance.checks import Context, judge, registry
from conformance.contract.catalogue import Catalogue
from conformance.contract.spec import Contract
from conformance.core.model import Case, Exchange, Expect, Outcome, Request, Response
from conformance.generation.strategies import key_token
from conformance.observe import credentials, expected, flows
from conformance.observe.settings import ObserveSettings
from conformance.observe.traffic import Headers, Observed

KIND = "incoming"  # a request the suite did not write (checks/incoming.py judges this kind)
APIS = {"wallet": "inquiryUserInfo", "alipayplus": "prepareAuthInfo"}
SECRET_FIELDS = ("accessToken",)
CHOSEN = "judged only on requests the suite chooses, or flows it starts: `conformance run`"
NO_WALLET_KEY = "no wallet public key: add [keys] wallet_public_key or [observe] wallet_public_key"
NO_AUTH_URL = "needs the authUrl the wallet intercepted: known only in flows the suite starts"
NO_ALIPAYPLUS_KEY = (
    "no Alipay+ public key: add [observe] alipayplus_public_key or [provider] public_key"
)
NO_SUCCESS = "; success is expected only of a request whose every property the profile settles"


@cache
def stand_in() -> signing.PrivateKey:
    """A key nobody holds, where the profile gives none; what needs the real one is dropped."""
    return signing.generate_private_key()


@dataclass(frozen=True)
class Judged:
    """One exchange judged: outcomes that count, and what is wrong with the caller's request."""

    exchange: Exchange
    outcomes: tuple[Outcome, ...]
    notes: tuple[str, ...] = ()  # the wallet role: Alipay+'s request, judged but never counted
    trusted: bool = True  # the alipayplus role: Alipay+'s answer verifies (or no key to tell)


def text(headers: Headers) -> tuple[tuple[str, str], ...]:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers)


def _decoded(body: bytes, headers: tuple[tuple[str, str], ...]) -> bytes:
    """The body as the client reads it: gzip and deflate undone for judging (never forwarded)."""
    coding = next((v.strip().lower() for k, v in headers if k.lower() == "content-encoding"), "")
    if coding not in ("gzip", "deflate"):
        return body
    try:
        return zlib.decompress(body, 47)  # 47: a gzip or zlib header, detected
    except zlib.error:
        return body


def exchange(obs: Observed, api: str, expect: Expect | None = None) -> Exchange:
    """The Exchange a check sees, built from what crossed the proxy."""
    sent, got = text(obs.request_headers), text(obs.response_headers)
    kind = next((v for k, v in sent if k.lower() == "content-type"), None)
    case = Case(
        api,
        KIND,
        obs.request_body,
        expect or Expect(),
        method=obs.method,
        content_type=kind,
        note=f"exchange #{obs.number}",
    )
    request = Request(sent, obs.request_body, obs.method, obs.url, obs.uri)
    response = (
        None
        if obs.status is None
        else Response(
            got, _decoded(obs.response_body, got), obs.status, obs.upstream, obs.truncated
        )
    )
    return Exchange(case, request, response, obs.error)


def secrets(ex: Exchange) -> tuple[str, ...]:
    """Values of this exchange that no output may show: its tokens and credentials."""
    body = ex.request.json() or {}
    found = [str(body[f]) for f in SECRET_FIELDS if isinstance(body.get(f), str)]
    messages = (ex.request, ex.response) if ex.response is not None else (ex.request,)
    found += [v for m in messages for v in credentials.values(m.headers)]
    return tuple(found)


class Judge:
    """The contexts of one role and the requirements its traffic can judge."""

    def __init__(self, settings: ObserveSettings, contract: Contract, catalogue: Catalogue):
        self.settings, self.catalogue = settings, catalogue
        self.role = settings.role or "wallet"
        self.api = APIS[self.role]
        api, nobody = contract.apis[self.api], stand_in().public_key()
        wallet = settings.wallet_public_key or nobody
        alipayplus = settings.alipayplus_public_key or nobody
        if self.role == "wallet":
            self.contexts: tuple[Context, ...] = (Context(api, contract, catalogue, "IUI", wallet),)
            # Alipay+'s request, held to the request rules the catalogue states for a client.
            self.caller: Context | None = Context(api, contract, catalogue, "PAI", alipayplus)
        else:
            self.contexts = (
                Context(api, contract, catalogue, "PAI", wallet),
                Context(api, contract, catalogue, "PAS", alipayplus, settings.psp_id),
            )
            self.caller = None
        self.peer = self._peer(contract)
        self.na = self.inapplicable()

    def _peer(self, contract: Contract) -> expected.Peer:
        """What the profile tells of the request's sender, for deriving the answer it calls for."""
        s, api = self.settings, contract.apis[self.api]
        validator = contract.validator(api.request)
        if self.role == "wallet":
            filled = (("pspId", s.psp_id), ("acquirerId", s.acquirer_id))
            return expected.Peer(
                api, validator, s.alipayplus_public_key, s.alipayplus_client_id, filled,
                "accessToken", s.tokens, NO_ALIPAYPLUS_KEY,
            )  # fmt: skip
        urls = tuple(key_token(u) for u in s.auth_urls)
        return expected.Peer(
            api, validator, s.wallet_public_key, s.wallet_client_id, (), "authUrl", urls,
            NO_WALLET_KEY,
        )  # fmt: skip

    def expect(self, ex: Exchange) -> tuple[Expect, str]:
        """The answer this request calls for, and why no more is derived; the Client-Id the
        profile gives the wallet (alipayplus role)."""
        found, why = expected.derive(ex.request, self.peer)
        cid = self.settings.wallet_client_id
        if self.role == "alipayplus" and cid:
            found = replace(found, values=(("client-id", cid),))
        return found, why

    def judge(self, obs: Observed) -> Judged:
        ex = exchange(obs, self.api)
        expect, why = self.expect(ex)
        note = f"{ex.case.note}; {why}"
        ex = replace(ex, case=replace(ex.case, expect=expect, note=note))
        notes = self._caller(ex)
        if notes:
            ex = replace(ex, case=replace(ex.case, note=f"{ex.case.note}; request: {notes[0]}"))
        found = [o for ctx in self.contexts for o in judge(ex, ctx)]
        trusted = self.settings.alipayplus_public_key is None or not any(
            o.requirement == "PAS-RESP-SIGNED" and not o.ok for o in found
        )
        kept = tuple(o for o in found if o.requirement not in self.na)
        return Judged(ex, kept, notes, trusted)

    def _caller(self, ex: Exchange) -> tuple[str, ...]:
        """The wallet role: one line on Alipay+'s request, then each rule it breaks."""
        if self.caller is None:
            return ()
        cid = self.settings.alipayplus_client_id
        asked = replace(
            ex, case=replace(ex.case, expect=Expect(values=(("client-id", cid),) if cid else ()))
        )
        keyless = self.settings.alipayplus_public_key is None
        broken = [
            f"{o.requirement.split('-', 1)[1]}: {o.message}"
            for o in judge(asked, self.caller, observed=True)
            if not o.ok and not (keyless and o.requirement.endswith("-REQ-SIGNED"))
        ]
        if broken:
            return (f"malformed ({len(broken)} rule(s) broken: {'; '.join(broken)})", *broken)
        return (
            "well-formed"
            + (
                ", signature not checked (no Alipay+ public key)"
                if keyless
                else ", signature verified"
            ),
        )

    def inapplicable(self) -> dict[str, str]:
        """Requirement ID -> why this observation cannot judge it (never reported as failed)."""
        passive = {s for chk in registry() if not chk.chosen for s in chk.suffixes}
        passive |= expected.DERIVED
        if self.role == "alipayplus":
            passive |= flows.PASSIVE
        missing = self._missing()
        found = {}
        for req in self.catalogue:
            if req.api != self.api:
                continue
            suffix = req.id.split("-", 1)[1]
            reason = CHOSEN if suffix not in passive else missing.get(req.id)
            if reason is not None:
                found[req.id] = reason
        return found

    def _missing(self) -> dict[str, str]:
        s = self.settings
        if self.role == "wallet":
            valid = [t for t in s.tokens if t.state == "valid"]
            no_tokens = (
                "no valid [[tokens]] in the profile: declare test users' tokens to judge them"
            )
            found = _when(s.wallet_public_key is None, NO_WALLET_KEY, ["IUI-RESP-SIGNED"])
            found |= _when(
                not valid,
                no_tokens,
                ["IUI-SCOPE-NO-EXTRA", "IUI-SCOPE-COMPLETE", "IUI-USERINFO-EXPECTED"],
            )
            found |= _when(
                bool(valid) and not any(t.expect for t in valid),
                "no [tokens.expect] values in the profile to compare userInfo with",
                ["IUI-USERINFO-EXPECTED"],
            )
            return found | self._underived("IUI")
        return self._underived("PAS") | (
            _when(s.wallet_public_key is None, NO_WALLET_KEY, ["PAI-REQ-SIGNED"])
            | _when(s.alipayplus_public_key is None, NO_ALIPAYPLUS_KEY, ["PAS-RESP-SIGNED"])
            | _when(
                s.wallet_client_id is None,
                "no wallet Client-Id: add [observe] wallet_client_id (or [gateway] client_id)",
                ["PAI-REQ-CLIENT-ID"],
            )
            | {"PAI-REQ-AUTHURL": NO_AUTH_URL}
        )

    def _underived(self, prefix: str) -> dict[str, str]:
        """The derived requirements the profile gives too little to derive, with the reason."""
        s, wallet = self.settings, self.role == "wallet"
        key = s.alipayplus_public_key if wallet else s.wallet_public_key
        no_key = NO_ALIPAYPLUS_KEY if wallet else NO_WALLET_KEY
        client = s.alipayplus_client_id if wallet else s.wallet_client_id
        no_client = (
            "no Alipay+ Client-Id at the wallet: add [target] client_id"
            if wallet
            else "no wallet Client-Id: add [observe] wallet_client_id (or [gateway] client_id)"
        )
        inactive = [t for t in s.tokens if t.state != "valid"]
        success = [t for t in s.tokens if t.state == "valid"] if wallet else s.auth_urls
        no_success = (
            "no valid [[tokens]] in the profile" if wallet else "no [provider] auth_urls"
        ) + NO_SUCCESS
        found: dict[str, str] = {}
        for condition, reason, suffixes in (
            (not success, no_success, expected.SUCCESS),
            (wallet and not s.psp_id, "no [target] psp_id" + NO_SUCCESS, expected.SUCCESS),
            (wallet and not s.psp_id, "no [target] psp_id", ("PSPID-MISMATCH",)),
            (client is None, no_client + NO_SUCCESS, expected.SUCCESS),
            (client is None, no_client, ("CLIENT-UNKNOWN",)),
            (key is None, no_key + NO_SUCCESS, expected.SUCCESS),
            (key is None, no_key, expected.SIGNATURE),
            (
                wallet and not inactive,
                "no expired or revoked [[tokens]] in the profile",
                ("TOKEN-REFUSED", "TOKEN-CODE"),
            ),
        ):
            found |= _when(condition, reason, [f"{prefix}-{x}" for x in suffixes])
        return found


def _when(condition: bool, reason: str, ids: Iterable[str]) -> dict[str, str]:
    return dict.fromkeys(ids, reason) if condition else {}
