"""Survivors looked at, by mutant key: (missing probe | lenient check | equivalent, why).

A "lenient check" marked SHOULD is the catalogue's deliberate choice (the documents leave the exact
code open, or an official SDK deviates): the suite warns, a wallet team sees it, and the run still
certifies. The key is `Mutant.key`; an entry outlives line moves, not edits of its unit.
"""

from __future__ import annotations

PIPE = "reference/pipeline.py:Pipeline"
CLIENT = "reference/client.py:PrepareClient"
PAS = "reference/alipayplus.py:AlipayPlus"
U_CODE = "'REQUEST_TRAFFIC_EXCEED_LIMIT'"
SHOULD = "lenient check (a SHOULD, by design)"
U_FOR_F = (
    "another documented code is only warned; a U (retry) for a request that can never succeed "
    "passes every MUST too, which no requirement names"
)

EXTRA = "an extra field the contract does not name: equivalent, read past by the corpus"
HARNESS = "the trigger harness's own words, outside the contract: read past by the corpus"

KNOWN: dict[str, tuple[str, str]] = {
    f"{PIPE}.length: len(value) -> len(value.encode('utf-16-le')) // 2": (
        "equivalent",
        (
            "by the suite's design: its astral values stay within every limit in UTF-16 units too "
            "(conformance/generation/mutations.py), so a wallet counting as Java's String.length() "
            "passes"
        ),
    ),
    f"{PIPE}.check_method: 'METHOD_NOT_SUPPORTED' -> 'PARAM_ILLEGAL'": (
        SHOULD,
        "METHOD-CODE: another F code refuses as safely",
    ),
    f"{PIPE}.authenticate: 'INVALID_SIGNATURE' -> 'KEY_NOT_FOUND' (#2)": (
        "lenient check",
        (
            "a missing or malformed Signature header answered F KEY_NOT_FOUND: the provider suite "
            "asks only that it never succeeds (PAS-HEADER-REQUIRED), no SHOULD names the code"
        ),
    ),
    f"{PIPE}.authenticate: if found.verdict is signing.Verdict.ALGORITHM: -> if False:": (
        "equivalent",
        (
            "the signature still does not verify: INVALID_SIGNATURE, only the free-text message "
            "changes"
        ),
    ),
    f"{PIPE}.handle: {{'Content-Type': self.content_type()}} -> "
    f"{{'Content-Type': self.content_type(), 'extraField': 'x'}}": ("equivalent", EXTRA),
    f"{CLIENT}.headers: {{'Content-Type': JSON_TYPE, **signed}} -> "
    f"{{'Content-Type': JSON_TYPE, **signed, 'extraField': 'x'}}": ("equivalent", EXTRA),
    "reference/client.py:harness_routes: 400 -> 401": ("equivalent", HARNESS),
    "reference/client.py:harness_routes: 400 -> 399": ("equivalent", HARNESS),
    f"{PIPE}.handle: 500 -> 501": ("equivalent", "no reference step raises Crash"),
    f"{PIPE}.handle: 500 -> 499": ("equivalent", "no reference step raises Crash"),
    f"{PAS}.resolve: if not self.issued(body['authUrl']): -> if False:": (
        "missing probe",
        "the provider suite never asks for a well-formed authUrl that was not issued",
    ),
    f"{PIPE}.check_method: 'METHOD_NOT_SUPPORTED' -> {U_CODE}": (SHOULD, U_FOR_F),
    f"{PIPE}.check_method: 'METHOD_NOT_SUPPORTED' -> 'NO_INTERFACE_DEF'": (
        SHOULD,
        "METHOD-CODE: another F code refuses as safely",
    ),
    f"{PIPE}.check_media_type: 'MEDIA_TYPE_NOT_ACCEPTABLE' -> {U_CODE}": (SHOULD, U_FOR_F),
    f"{PIPE}.check_media_type: if (content_type or '').split(';')[0].strip().lower() != "
    "'application/json': -> if False:": (
        SHOULD,
        "MEDIA-TYPE: Content-Type is not a header Alipay+ must send",
    ),
    f"{PIPE}.authenticate: 'KEY_NOT_FOUND' -> 'MEDIA_TYPE_NOT_ACCEPTABLE'": (
        SHOULD,
        "KEY-UNKNOWN: keyVersion's meaning rests on sibling gateways",
    ),
    f"{PIPE}.authenticate: 'KEY_NOT_FOUND' -> {U_CODE}": (SHOULD, U_FOR_F),
    f"{PIPE}.authenticate: 'INVALID_SIGNATURE' -> {U_CODE}": (SHOULD, U_FOR_F),
    f"{PIPE}.authenticate: 'INVALID_SIGNATURE' -> 'INVALID_TOKEN'": (
        SHOULD,
        "SIG-ALGORITHM: another F code for an unsupported algorithm",
    ),
    f"{PIPE}.authenticate: 'INVALID_SIGNATURE' -> 'INVALID_TOKEN' (#2)": (
        "lenient check",
        (
            "a missing or malformed Signature header answered F INVALID_TOKEN: the wallet "
            "suite asks only that it never succeeds (IUI-HEADER-REQUIRED), no SHOULD names "
            "the code"
        ),
    ),
    f"{PIPE}.parse: 'PARAM_ILLEGAL' -> {U_CODE}": (SHOULD, U_FOR_F),
    **{
        f"{PIPE}.check_field: 'PARAM_ILLEGAL' -> {code}{again}": (SHOULD, why)
        for code, why in (
            (U_CODE, U_FOR_F),
            ("'PROCESS_FAIL'", "INVALID-PARAM-ILLEGAL: another F code refuses as safely"),
        )
        for again in ("", " (#2)", " (#3)")
    },
    f"{PIPE}.http_status: 200 -> 201": (SHOULD, "TRANSPORT-HTTP-200"),
    f"reference/wallet.py:Wallet.authorize: 'ACCESS_DENIED' -> {U_CODE}": (
        "lenient check",
        (
            "another MPP's pspId answered U: IUI-PSPID-MISMATCH (a SHOULD) asks only that it does "
            "not succeed"
        ),
    ),
    "reference/wallet.py:Wallet.authorize: 'INVALID_TOKEN' -> 'KEY_NOT_FOUND'": (
        SHOULD,
        "TOKEN-CODE: another F code refuses as safely",
    ),
    f"{CLIENT}.max_attempts: 3 -> 4": (
        "equivalent",
        "PAI-RETRY-BOUNDED asks for a bounded number of attempts, not three",
    ),
    f"{CLIENT}.backoff: 0.05 -> 0.025": (
        "equivalent",
        "the reference profile's [gateway] min_backoff is 0.025 s: the wait still meets it",
    ),
    f"{CLIENT}.pause: 2 -> 1": (
        "equivalent",
        (
            "a constant back-off: PAI-RETRY-BACKOFF asks for a wait of at least min_backoff, "
            "not that it grows"
        ),
    ),
    f"{CLIENT}.start: 1 -> 2": (
        "equivalent",
        "two attempts, the first wait doubled: still a retry after U, bounded, backed off",
    ),
    f"{CLIENT}.trusted: if value is None: -> if False:": (
        "missing probe",
        (
            "an unsigned U reply distrusted, so never retried: the suite plays no unsigned U "
            "(nor F) reply, which the documents allow"
        ),
    ),
    f"{CLIENT}.trusted: time is None -> time is not None": (
        "missing probe",
        "as above: unsigned F and U replies distrusted, an unsigned U never retried",
    ),
    f"{CLIENT}.trusted: 'U' -> 'S'": (
        SHOULD,
        "PAI-VERIFY-UNSIGNED: an unsigned SUCCESS trusted, as the official Java SDK does",
    ),
}
