"""Survivors and unseen mutants looked at by hand, by mutant key: (class, why), where no rule of
bench/mutants.py derives it. Classes: missing probe | lenient check (SHOULD by design) | lenient
check (a MUST-level gap) | equivalent.

By rule, not here: a survivor only warned is a lenient check (SHOULD by design), explained by the
catalogue's basis of the SHOULD it breaks; a mutant whose answers differ only where the documents
allow either (bench/mutants_corpus.py `allowed`) is equivalent, with the sentence that allows it.
An entry here overrides the rule, for what the catalogue's basis does not say. The key is
`Mutant.key`; an entry outlives line moves, not edits of its unit.
"""

from __future__ import annotations

PIPE = "reference/pipeline.py:Pipeline"
CLIENT = "reference/client.py:PrepareClient"
U_CODE = "'REQUEST_TRAFFIC_EXCEED_LIMIT'"
SHOULD = "lenient check (SHOULD by design)"
U_FOR_F = (
    "the exact code is a SHOULD, warned; a U (retry) for a request that can never succeed "
    "passes every MUST too: no document sentence says a refusal is F rather than U"
)

EXTRA = "an extra header the contract does not name: read past by the corpus"
HARNESS = "the trigger harness's own words, outside the contract: read past by the corpus"
NO_CRASH = "no reference step raises Crash: the HTML error page is never served"

EXTRA_FIELD = (
    "an extra member beside the contract's: the documents neither allow nor forbid extra fields "
    "(IUI-UNKNOWN-FIELDS' basis) and the suite asks receivers to accept one; failing it would "
    "rest on no sentence"
)
NO_CODE = (
    "a missing Request-Time refused with another code: no document names one for it, and "
    "{p}-HEADER-REQUIRED (a MUST) asks only that it never succeeds"
)
TIME_SHOULD = (
    "a malformed Request-Time refused with another code: the whole rule is a SHOULD resting on "
    "inference ({p}-TIME-MALFORMED: it never succeeds), which names no code"
)
F_CODE = "'PROCESS_FAIL'"
PAS = "reference/alipayplus.py:AlipayPlus"
ACQUIRER = (
    "another acquirerId refused with another code: no document names one for it, and "
    "PAS-FIXED-VALUE (a MUST) asks only that it never succeeds"
)

KNOWN: dict[str, tuple[str, str]] = {
    f"{PIPE}.handle: {{'result': self.result('SUCCESS'), **business.succeed(payload)}} -> "
    "{'result': self.result('SUCCESS'), **business.succeed(payload), 'extraField': 'x'}": (
        "equivalent",
        EXTRA_FIELD,
    ),
    f"{PIPE}.handle: {{'result': self.result(refusal.code, refusal.message), "
    "**business.refused(refusal.code)} -> {'result': self.result(refusal.code, refusal.message), "
    "**business.refused(refusal.code)...": ("equivalent", EXTRA_FIELD),
    "reference/wallet.py:Wallet.succeed: {'userInfo': self.user_info(self.authorize(payload))} "
    "-> {'userInfo': self.user_info(self.authorize(payload)), 'extraField': 'x'}": (
        "equivalent",
        EXTRA_FIELD + " (beside userInfo, not in it: no personal data)",
    ),
    f"{PIPE}.authenticate: 'PARAM_ILLEGAL' -> {F_CODE}": (
        "equivalent",
        NO_CODE.format(p="IUI-/PAS"),
    ),
    f"{PIPE}.authenticate: 'PARAM_ILLEGAL' -> {U_CODE}": (
        "lenient check",
        NO_CODE.format(p="IUI-/PAS") + "; " + U_FOR_F.split("; ", 1)[1],
    ),
    f"{PIPE}.check_time: 'PARAM_ILLEGAL' -> {F_CODE}": (SHOULD, TIME_SHOULD.format(p="IUI-/PAS")),
    f"{PIPE}.check_time: 'PARAM_ILLEGAL' -> {U_CODE}": (SHOULD, TIME_SHOULD.format(p="IUI-/PAS")),
    f"{PAS}.check_acquirer: 'PARAM_ILLEGAL' -> {F_CODE}": ("equivalent", ACQUIRER),
    f"{PAS}.check_acquirer: 'PARAM_ILLEGAL' -> {U_CODE}": (
        "lenient check",
        ACQUIRER + "; " + U_FOR_F.split("; ", 1)[1],
    ),
    **{
        f"{PAS}.resolve: 'PROCESS_FAIL' -> {code}": (
            SHOULD,
            (
                "an authUrl never issued refused with another code: the whole rule is a SHOULD "
                "resting on inference (PAS-AUTHURL-UNKNOWN: it does not succeed), which names "
                "no code"
            ),
        )
        for code in ("'QUOTE_NOT_FOUND'", U_CODE)
    },
    "reference/wallet.py:Wallet.authorize: 'ACCESS_DENIED' -> 'INVALID_CLIENT'": (
        SHOULD,
        (
            "another MPP's pspId refused with another F code: the whole rule is a SHOULD resting "
            "on inference (IUI-PSPID-MISMATCH: it does not succeed), which names no code"
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
    f"{PIPE}.handle: 500 -> 501": ("equivalent", NO_CRASH),
    f"{PIPE}.handle: 500 -> 499": ("equivalent", NO_CRASH),
    **{
        f"{PIPE}.{unit}: {code} -> {U_CODE}{again}": (SHOULD, U_FOR_F)
        for unit, code, times in (
            ("check_method", "'METHOD_NOT_SUPPORTED'", 1),
            ("check_media_type", "'MEDIA_TYPE_NOT_ACCEPTABLE'", 1),
            ("authenticate", "'KEY_NOT_FOUND'", 1),
            ("authenticate", "'INVALID_SIGNATURE'", 2),
            ("parse", "'PARAM_ILLEGAL'", 2),
            ("check_field", "'PARAM_ILLEGAL'", 3),
        )
        for again in ("", " (#2)", " (#3)")[:times]
    },
    f"{CLIENT}.payload: {{'authUrl': auth_url, 'acquirerId': data.ACQUIRER_ID}} -> "
    f"{{'authUrl': auth_url, 'acquirerId': data.ACQUIRER_ID, 'extraField': 'x'}}": (
        "equivalent",
        (
            "an extra request parameter: the documents neither allow nor forbid extra fields "
            "(IUI-UNKNOWN-FIELDS' basis) and the suite asks receivers to accept one; failing a "
            "wallet for sending one would rest on no sentence"
        ),
    ),
    f"{CLIENT}.decide: 'F' -> 'U' (#2)": (
        "equivalent",
        (
            "a reply it cannot trust (bad or no signature) retried as no result, then an error: "
            "the documents say what to do with a result, not with one the wallet cannot trust; "
            "never opening its redirect is what they bind (PAI-VERIFY-RESPONSE)"
        ),
    ),
    f"reference/wallet.py:Wallet.authorize: 'ACCESS_DENIED' -> {U_CODE}": (
        SHOULD,
        (
            "another MPP's pspId answered U: the whole rule is a SHOULD resting on inference "
            "(IUI-PSPID-MISMATCH: it does not succeed), which names no code"
        ),
    ),
}
