"""The trace from the documents: every sentence of the two pages and the contract notes is traced
to requirements (and through them to suite tests), or says why it cannot or need not be."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.commands.listing import markdown
from conformance.contract.catalogue import catalogue
from conformance.contract.sentences import Sentence, split
from conformance.contract.trace import DOCUMENTS, Statement, parse, probes, problems, trace
from conformance.core.errors import ContractError

# The documents sit beside the repository (../shared/spec), as in CI; an installed copy has none.
SPEC = Path(__file__).resolve().parent.parent.parent / "shared" / "spec"
needs_documents = pytest.mark.skipif(
    not all((SPEC / d).is_file() for d in DOCUMENTS), reason=f"the documents are not in {SPEC}"
)
PAGE = """Structure

1. Set the data type of each parameter (except array) as String. Examples:

Request parameters

pspId String  REQUIRED

The unique ID that is assigned by Alipay+ to identify an MPP. 
"""


def _documents(**replaced: str) -> list[tuple[str, str]]:
    return [(d, replaced.get(d, (SPEC / d).read_text(encoding="utf-8"))) for d in DOCUMENTS]


def _statement(section: str, number: int, quote: str, **kind: object) -> Statement:
    fields = {"document": "inquiryUserInfo.txt", "section": section, "sentence": number}
    rows = {**fields, "quote": quote, **kind}.items()
    return parse("[[statement]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in rows))[0]


def _page_trace() -> list[Statement]:
    return [
        _statement(
            "Structure",
            1,
            "Set the data type of each parameter (except array) as String.",
            requirements=["IUI-RESP-STRING"],
        ),
        _statement("Structure", 2, "Examples:", informative="introduces examples"),
        _statement(
            "Request parameters, pspId",
            1,
            "pspId String REQUIRED",
            requirements=["IUI-RESP-SCHEMA"],
        ),
        _statement(
            "Request parameters, pspId",
            2,
            "The unique ID that is assigned by Alipay+ to identify an MPP.",
            unobservable="a reason",
        ),
    ]


@needs_documents
def test_every_sentence_of_the_documents_is_traced() -> None:
    found = problems(trace(), split_all(_documents()), catalogue())
    assert found == [], "\n".join(found)


def split_all(documents: list[tuple[str, str]]) -> list[Sentence]:
    return [s for name, text in documents for s in split(name, text)]


@needs_documents
def test_a_sentence_added_to_a_document_fails_the_trace() -> None:
    page = (SPEC / "inquiryUserInfo.txt").read_text(encoding="utf-8")
    added = page.replace(
        "Maximum length: 128 characters",
        "Maximum length: 128 characters\n\nThe MPP answers within three seconds.",
    )
    found = problems(trace(), split_all(_documents(**{"inquiryUserInfo.txt": added})), catalogue())
    assert found == [
        (
            "inquiryUserInfo.txt § Request parameters, accessToken #5 has no entry in trace.toml: "
            "'The MPP answers within three seconds.' (map it to requirements, or say why it is "
            "unobservable or informative)"
        )
    ]


@needs_documents
def test_a_changed_sentence_fails_the_trace() -> None:
    page = (SPEC / "prepareAuthInfo.txt").read_text(encoding="utf-8")
    changed = page.replace("The value must be BASE_USER_INFO.", "The value must be USER_INFO.")
    found = problems(
        trace(), split_all(_documents(**{"prepareAuthInfo.txt": changed})), catalogue()
    )
    assert found == [
        (
            "prepareAuthInfo.txt § Response parameters, scopes #3 no longer reads "
            "'The value must be BASE_USER_INFO.' (not found)"
        )
    ]


def test_the_page_rules_hold_on_a_small_page() -> None:
    assert problems(_page_trace(), split("inquiryUserInfo.txt", PAGE), catalogue()) == []


def test_a_sentence_in_neither_list_is_named() -> None:
    page = PAGE + "\nThe MPP must not cache the token.\n"
    found = problems(_page_trace(), split("inquiryUserInfo.txt", page), catalogue())
    assert found == [
        (
            "inquiryUserInfo.txt § Request parameters, pspId #3 has no entry in trace.toml: "
            "'The MPP must not cache the token.' (map it to requirements, or say why it is "
            "unobservable or informative)"
        )
    ]


def test_a_quote_that_moved_is_named_with_its_new_place() -> None:
    page = PAGE.replace("1. Set", "1. Examples: See below. Set").replace(". Examples:", ".")
    found = problems(_page_trace(), split("inquiryUserInfo.txt", page), catalogue())
    assert (
        "inquiryUserInfo.txt § Structure #1 no longer reads 'Set the data type of each "
        in (found[0])
    )
    assert found[0].endswith("(now Structure #2)")


def test_an_unknown_requirement_is_named() -> None:
    statements = [*_page_trace()[1:], _statement("Structure", 1, "x", requirements=["IUI-NOPE"])]
    found = problems(statements, split("inquiryUserInfo.txt", PAGE), catalogue())
    assert "inquiryUserInfo.txt § Structure #1 names IUI-NOPE, which is not in the catalogue" in (
        found
    )


def test_a_statement_of_a_missing_sentence_is_named() -> None:
    extra = _statement("Structure", 9, "Gone.", informative="old")
    found = problems([*_page_trace(), extra], split("inquiryUserInfo.txt", PAGE), catalogue())
    assert found == ["inquiryUserInfo.txt § Structure #9 no longer reads 'Gone.' (not found)"]


def test_the_trace_names_only_catalogued_requirements() -> None:
    cat = catalogue()
    assert [(s.anchor, r) for s in trace() for r in s.requirements if r not in cat] == []


def test_every_traced_requirement_is_judged_by_a_suite_test() -> None:
    cat = catalogue()
    unprobed = {r for s in trace() for r in s.requirements if not probes(r, cat[r].family)}
    assert unprobed == set()


def test_gaps_are_listed() -> None:
    gaps = [s for s in trace() if s.gap]
    assert all(not s.requirements for s in gaps)
    for s in gaps:  # allowed, and shown in the warnings summary of every run
        warnings.warn(f"trace gap: {s.anchor}: {s.gap}", stacklevel=1)
    print("\n".join(f"gap {s.anchor}: {s.gap}" for s in gaps))


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('requirements = ["IUI-RESP-STRING"]\ninformative = "x"', "exactly one of"),
        ("", "exactly one of"),
        ("requirements = []", "maps to no requirement without a gap"),
        ('requirements = ["IUI-RESP-STRING"]\ngap = "x"', "maps to no requirement without a gap"),
        ("requirements = [1]", "not a list of IDs"),
        ("informative = 3", "informative that is not text"),
    ],
)
def test_a_malformed_entry_is_refused(entry: str, problem: str) -> None:
    text = (
        '[[statement]]\ndocument = "contract-notes.md"\nsection = "1. Transport"\nsentence = 1\n'
        f'quote = "q"\n{entry}\n'
    )
    with pytest.raises(ContractError, match=problem):
        parse(text)


def test_a_repeated_sentence_is_refused() -> None:
    one = (
        '[[statement]]\ndocument = "contract-notes.md"\nsection = "S"\nsentence = 1\nquote = "q"\n'
    )
    with pytest.raises(ContractError, match="repeats contract-notes.md § S #1"):
        parse(f'{one}informative = "a"\n{one}informative = "b"\n')


def test_sentences_are_cut_by_the_documented_rule() -> None:
    notes = (
        "## 2. Headers\n| header | value |\n|---|---|\n| `Client-Id` | e.g. `X`. Also Y. |\n\n"
        "- [D] One. Two, e.g. `Three`. four.\n  five\n```\nPOST /x\n```\nLabel\n"
    )
    assert [(s.section, s.number, s.text) for s in split("contract-notes.md", notes)] == [
        ("2. Headers", 1, "| `Client-Id` | e.g. `X`. Also Y. |"),
        ("2. Headers", 2, "[D] One."),
        ("2. Headers", 3, "Two, e.g. `Three`. four. five"),
    ]
    page = "Result/Error codes\nPARAM_ILLEGALFIllegal parameters. For example, a date.\nS\n"
    assert [s.text for s in split("x.txt", page)] == [
        "PARAM_ILLEGALFIllegal parameters. For example, a date."
    ]


def test_the_matrix_shows_every_statement_with_its_requirements_and_probes() -> None:
    text = markdown(catalogue())
    for s in trace():
        assert s.quote.replace("|", "\\|") in text, s.anchor
    row = next(
        line for line in text.splitlines() if line.startswith("| Response parameters, scopes #3 |")
    )
    assert "`PAS-SCOPES-FIXED`" in row and "`test_provider_valid_request_succeeds`" in row
    for gap in (s for s in trace() if s.gap):  # a statement no requirement covers yet is shown
        assert f"gap: {gap.gap}" in text


def test_a_filtered_matrix_keeps_the_statements_of_its_requirements(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["requirements", "--format", "markdown", "--family", "retry"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.startswith("| How to handle the result #")]
    assert rows and all("`PAI-RETRY-" in row for row in rows)
    assert "`PAS-TRANSPORT-ANSWER`" not in text  # of another family: not in this list
    assert "### Not statements" not in text and "### Gaps" not in text
