"""bench/mutants.py: its operators change one thing each, and its corpus tells an observable mutant
from one the corpus cannot see, on a tiny example run in this process."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import signing
from conformance.reference import data
from conformance.reference.wallet import Wallet

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import mutants
import mutants_corpus
from mutants_ops import Context, Mutant, generate, mutate

CTX = Context({"SUCCESS": "S", "ACCESS_DENIED": "F", "INVALID_TOKEN": "F", "UNKNOWN": "U"})

TINY = '''
LIMIT = 3


def check(value, status):
    """A docstring no operator touches."""
    if len(value) > LIMIT and not value.isdigit():
        raise ValueError("INVALID_TOKEN")
    return {"resultCode": "SUCCESS", "resultStatus": "S", "size": 1.5}
'''


def _changes(source: str) -> set[tuple[str, str, str]]:
    return {(m.operator, m.before, m.after) for m in generate("tiny.py", source, CTX)}


def test_each_operator_changes_one_thing() -> None:
    found = _changes(TINY)
    assert ("compare", "len(value) > LIMIT", "len(value) <= LIMIT") in found
    assert ("boolean", "not value.isdigit()", "value.isdigit()") in found
    check = "if len(value) > LIMIT and (not value.isdigit()):"
    assert ("remove-check", check, "if False:") in found
    assert ("length", "len(value)", "len(value.encode())") in found
    assert ("length", "len(value)", "len(value.encode('utf-16-le')) // 2") in found
    assert ("code", "'INVALID_TOKEN'", "'ACCESS_DENIED'") in found  # the other F code
    assert ("code", "'INVALID_TOKEN'", "'SUCCESS'") in found  # a code of another status
    assert ("code", "'S'", "'F'") in found
    assert ("constant", "1.5", "3.0") in found
    dropped = "{'resultCode': 'SUCCESS', 'size': 1.5}"
    assert any(op == "drop-field" and after == dropped for op, _, after in found)
    assert any(op == "add-field" and "'extraField': 'x'" in after for op, _, after in found)
    # Class attributes are units too; a docstring is never changed.
    assert ("constant", "3", "4") not in found  # module constants are configuration, not code
    assert not any("docstring" in before for _, before, _ in found)


def test_mutants_that_read_the_same_have_their_own_keys() -> None:
    source = "def f(a):\n    if a:\n        return 'INVALID_TOKEN'\n    return 'INVALID_TOKEN'\n"
    found = [m for m in generate("tiny.py", source, CTX) if m.after == "'ACCESS_DENIED'"]
    assert len(found) == 2 and len({m.key for m in found}) == 2


def test_a_mutant_rewrites_only_its_unit() -> None:
    source = (
        TINY + "\n\nclass Client:\n    attempts = 3\n\n    def other(self):\n        return 1\n"
    )
    found = generate("tiny.py", source, CTX)
    attempts = next(m for m in found if m.unit == "Client.attempts" and m.after == "4")
    changed = mutate(source, attempts, CTX)
    assert changed.replace("attempts = 4", "attempts = 3") == source
    for m in found:
        ast.parse(mutate(source, m, CTX))  # every mutant is a module Python reads


def _load(name: str, source: str, where: Path) -> Any:
    """Import source as the module `name` (its package's relative imports resolve)."""
    path = where / f"{name.rpartition('.')[2]}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_counting_utf16_units_counts_an_astral_character_twice(tmp_path: Path) -> None:
    found = generate("tiny.py", TINY, CTX)
    utf16 = next(m for m in found if m.after.startswith("len(value.encode('utf-16"))
    mutated = _load("tiny_mutant", mutate(TINY, utf16, CTX), tmp_path)
    with pytest.raises(ValueError):
        mutated.check("\U0001f600\U0001f600", "S")  # 2 characters, 4 UTF-16 units
    original = _load("tiny_original", TINY, tmp_path)
    assert original.check("\U0001f600\U0001f600", "S")["resultCode"] == "SUCCESS"


def _request(token: str, psp_id: str = data.PSP_ID) -> dict[str, Any]:
    import base64

    uri = data.PATHS["inquiryUserInfo"]
    body = json.dumps(
        {"pspId": psp_id, "acquirerId": data.ACQUIRER_ID, "accessToken": token}
    ).encode()
    signed = signing.signed_headers(
        data.private_key("alipayplus"), "request", uri, data.ALIPAYPLUS_CLIENT_ID, body
    )
    headers = {k.lower(): v for k, v in signed.items()}
    headers["content-type"] = "application/json; charset=UTF-8"
    return {
        "method": "POST",
        "uri": uri,
        "headers": headers,
        "body": base64.b64encode(body).decode(),
    }


def _mutant_wallet(describe_end: str, where: Path) -> type[Wallet]:
    """The reference wallet's module with one mutant's change, loaded beside the real one."""
    path = mutants.ROOT / "conformance" / "reference" / "wallet.py"
    ctx = mutants.context("wallet")
    mutant: Mutant = next(
        m for m in mutants.mutants("wallet", ctx) if m.describe().endswith(describe_end)
    )
    source = mutate(path.read_text(), mutant, ctx)
    wallet: type[Wallet] = _load("conformance.reference._mutant_wallet", source, where).Wallet
    return wallet


def _observable(wallet: type[Wallet], corpus: list[dict[str, Any]]) -> str:
    key = data.public_key("wallet")
    expected = mutants_corpus.answers_of(Wallet(), key, corpus)
    return mutants.difference(expected, mutants_corpus.answers_of(wallet(), key, corpus))


def test_the_corpus_decides_what_is_observable(tmp_path: Path) -> None:
    valid, expired = data.SEEDS[0].token, data.SEEDS[4].token
    corpus = [_request(valid), _request(expired)]
    # The reference answers the same corpus the same way twice: signatures and times are read.
    assert _observable(Wallet, corpus) == ""
    # The token states read backwards: the valid token is refused, the expired one served.
    serves_expired = _mutant_wallet("seed.state != 'valid' -> seed.state == 'valid'", tmp_path)
    assert _observable(serves_expired, corpus) == "#0 differs in body"
    # Another MPP's pspId let through: equivalent for a corpus without such a request, observable
    # once it has one.
    any_psp = _mutant_wallet("if body['pspId'] != data.PSP_ID: -> if False:", tmp_path)
    assert _observable(any_psp, corpus) == ""
    assert _observable(any_psp, [*corpus, _request(valid, "2160120000000099")]).startswith("#2")


def test_an_answer_the_probe_could_not_get_is_a_difference() -> None:
    assert mutants.difference([{}], "ImportError: cannot import name 'x'") != ""
    assert mutants.difference([{}], []) == "0 answers, not 1"


def test_what_legitimately_differs_is_read_not_compared() -> None:
    def body(message: str) -> Any:
        return mutants_corpus._body(json.dumps({"result": {"resultMessage": message}}).encode())

    assert body("unsupported algorithm") == body("The signature is invalid.")  # free text
    assert body("") != body("text")  # an empty parameter is a fault the suite judges


def test_every_survivor_classified_is_a_mutant_still_generated() -> None:
    from mutants_known import KNOWN

    roles = mutants_corpus.ROLES
    keys = {m.key for role in roles for m in mutants.mutants(role, mutants.context(role))}
    assert set(KNOWN) <= keys, sorted(set(KNOWN) - keys)
    assert {kind.split(" (")[0] for kind, _ in KNOWN.values()} <= {
        "missing probe",
        "lenient check",
        "equivalent",
    }


def _flow(sent: int, pauses: list[float], steps: list[str], outcome: str = "error") -> Any:
    request = {"body": {"authUrl": "u", "acquirerId": "a"}, "verdict": "OK"}
    return {
        "flow": "f",
        "steps": steps,
        "trigger": 200,
        "outcome": {"outcome": outcome, "redirectUrl": None},
        "sent": [request] * sent,
        "pauses": pauses,
    }


def test_a_client_within_what_the_documents_allow_is_equivalent_by_rule() -> None:
    traffic = ["REQUEST_TRAFFIC_EXCEED_LIMIT"]
    reference = _flow(3, [0.05, 0.1], traffic)
    # More attempts, within [gateway] max_attempts; a constant wait of at least min_backoff.
    assert "number of retries" in mutants_corpus.allowed(reference, _flow(4, [0.05] * 3, traffic))
    assert "min_backoff" in mutants_corpus.allowed(reference, _flow(3, [0.025, 0.025], traffic))
    # No retry at all, past the bound, or a wait shorter than min_backoff: observable.
    assert mutants_corpus.allowed(reference, _flow(1, [], traffic)) == ""
    assert mutants_corpus.allowed(reference, _flow(11, [0.05] * 10, traffic)) == ""
    assert mutants_corpus.allowed(reference, _flow(3, [0.01, 0.1], traffic)) == ""
    # A reply that is not JSON carries no result: retried as silence is, as often.
    malformed = ["malformed"]
    assert mutants_corpus.allowed(_flow(3, [0.05, 0.1], malformed), _flow(4, [0] * 3, malformed))
    # The authCode is the wallet's: any non-empty one.
    success = ["success"]

    def opened(code: str) -> dict[str, Any]:
        redirect = f"https://m.example/r?a=1&authCode={code}"
        return {
            **_flow(1, [], success),
            "outcome": {"outcome": "redirect", "redirectUrl": redirect},
        }

    assert "authCode" in mutants_corpus.allowed(opened("hhhh"), opened("hhhhhh"))
    assert mutants_corpus.allowed(opened("hhhh"), opened("")) == ""
    # After an F the wallet stops: another count is never a freedom.
    f = ["PROCESS_FAIL"]
    assert mutants_corpus.allowed(_flow(1, [], f), _flow(2, [0.05], f)) == ""
    u_then_f = ["UNKNOWN_EXCEPTION", "PROCESS_FAIL"]
    assert mutants_corpus.allowed(_flow(2, [0.05], u_then_f), _flow(3, [0.05] * 2, u_then_f)) == ""
    # After another U, no wait is documented; the outcome and the parameters are fixed.
    u = ["UNKNOWN_EXCEPTION", "success"]
    assert mutants_corpus.allowed(_flow(2, [0.05], u), _flow(2, [0.0], u)) != ""
    assert mutants_corpus.allowed(_flow(2, [0.05], u), _flow(2, [0.05], u, "redirect")) == ""
    changed = _flow(2, [0.05], u)
    changed["sent"] = [changed["sent"][0], {**changed["sent"][0], "verdict": "BAD"}]
    assert mutants_corpus.allowed(_flow(2, [0.05], u), changed) == ""


def test_an_optional_result_message_is_a_freedom_an_empty_one_is_not() -> None:
    def answer(result: dict[str, Any], **more: Any) -> Any:
        return {"status": 200, "verdict": "OK", "body": {"result": result, **more}}

    code = {"resultCode": "INVALID_TOKEN", "resultStatus": "F"}
    reference = answer({**code, "resultMessage": "(text)"})
    assert "resultMessage is optional" in mutants_corpus.allowed(reference, answer(code))
    assert mutants_corpus.allowed(reference, answer({**code, "resultMessage": ""})) == ""
    assert "null" in mutants_corpus.allowed(answer(code), answer(code, userInfo=None))
    assert mutants_corpus.allowed(reference, answer({**code, "resultStatus": "U"})) == ""
    assert mutants_corpus.allowed(reference, {**answer(code), "status": 201}) == ""
    # Allowed differences do not make a mutant observable; the reasons are kept.
    assert mutants.compare([reference], [answer(code)])[0] == ""
    assert mutants.compare([reference], [answer(code)])[1] != ()


def test_a_survivor_only_warned_is_classified_by_rule() -> None:
    mutant = mutants.mutants("wallet", mutants.context("wallet"))[0]
    warned = mutants.Outcome(
        "wallet", mutant, True, "#1", verdict="PARTIAL", warned=("IUI-METHOD-CODE",)
    )
    kind, why = mutants.classify(warned)
    assert kind == mutants.SHOULD_BY_DESIGN and "IUI-METHOD-CODE" in why
    silent = mutants.Outcome("wallet", mutant, True, "#1", verdict="CERTIFIED")
    assert mutants.classify(silent)[0] == mutants.UNEXPLAINED
