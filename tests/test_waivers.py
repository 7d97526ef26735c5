"""Waivers: accepted deviations are shown WAIVED, expire, are flagged when unused, and never
certify a MUST."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conformance.contract.catalogue import catalogue
from conformance.results.document import Meta, Results
from conformance.results.fold import Tally, build
from conformance.results.waivers import WaiverError, Waivers, apply, parse

from .reporting import certify_into

MUST, SHOULD = "IUI-SCOPE-NO-EXTRA", "IUI-TRANSPORT-CONTENT-TYPE"
TODAY = date(2026, 6, 1)
# A whole document's metadata: the renderers read results as typed, so they get complete ones.
META: Meta = {
    "suite": {"name": "mpp-conformance", "version": "0.0.0"},
    "contract": {"digest": "sha256:" + "0" * 64},
    "target": {
        "base_url": "https://wallet.example",
        "psp_id": "2160120000000001",
        "client_id": "c",
    },
    "profile": {"source": "wallet.toml", "digest": ""},
    "run": {
        "started": "2026-06-01T00:00:00+00:00",
        "finished": "2026-06-01T00:00:01+00:00",
        "duration": 1.0,
        "seed": "derandomized",
        "examples": 1,
        "requests": 1,
    },
}


def waivers(text: str) -> Waivers:
    return Waivers(parse(tomllib.loads(text), catalogue(), "w.toml"), "w.toml", "")


def entry(rid: str, expires: str = "2026-12-31") -> str:
    return (
        f'[[waiver]]\nrequirement = "{rid}"\nreason = "r"\nowner = "o@wallet.example"\nexpires '
        f"= {expires}\n"
    )


def results(w: Waivers, *broken: str) -> Results:
    """Every requirement judged once; the broken ones failed once."""
    tallies = {
        r.id: Tally(1, 1 if r.id in broken else 0) for r in catalogue().requirements.values()
    }
    return build(tallies, catalogue(), ["inquiryUserInfo"], [], META, w, TODAY)


def row(doc: Mapping[str, Any], rid: str) -> dict[str, Any]:
    return dict(next(r for r in doc["requirements"] if r["id"] == rid))


def test_waived_should_is_shown_waived_and_keeps_the_run_certified() -> None:
    doc = results(waivers(entry(SHOULD)), SHOULD)
    assert row(doc, SHOULD)["status"] == "waived"
    assert row(doc, SHOULD)["waiver"] == {
        "reason": "r",
        "owner": "o@wallet.example",
        "expires": "2026-12-31",
        "was": "warned",
    }
    assert doc["verdict"] == "CERTIFIED" and doc["counts"]["waived"] == 1


def test_waived_must_never_certifies_and_says_why() -> None:
    doc = results(waivers(entry(MUST)), MUST)
    assert row(doc, MUST)["status"] == "waived"
    assert doc["verdict"] == "NOT CERTIFIED"
    assert any(MUST in r and "non-certifying" in r for r in doc["reasons"])
    assert doc["waivers"]["entries"][0]["state"] == "applied"


def test_expired_waiver_stops_applying_and_is_reported() -> None:
    doc = results(waivers(entry(SHOULD, "2026-05-31")), SHOULD)
    assert row(doc, SHOULD)["status"] == "warned" and row(doc, SHOULD)["waiver"] is None
    (w,) = doc["waivers"]["entries"]
    assert w["state"] == "expired" and "2026-05-31" in w["note"]


def test_apply_returns_new_rows_and_leaves_the_given_ones_as_they_were() -> None:
    rows = copy.deepcopy(results(Waivers(), SHOULD, MUST)["requirements"])
    before = copy.deepcopy(rows)
    waived, entries = apply(rows, waivers(entry(SHOULD) + entry(MUST)), TODAY)
    assert rows == before
    assert {r["id"]: r["status"] for r in waived if r["waiver"]} == {
        SHOULD: "waived",
        MUST: "waived",
    }
    assert [r["id"] for r in waived] == [r["id"] for r in rows]
    assert [e["state"] for e in entries] == ["applied", "applied"]


def test_waiver_applies_on_its_expiry_day() -> None:
    doc = results(waivers(entry(SHOULD, "2026-06-01")), SHOULD)
    assert row(doc, SHOULD)["status"] == "waived"


def test_waiver_of_a_deviation_that_no_longer_occurs_is_reported_for_removal() -> None:
    doc = results(waivers(entry(SHOULD)))
    assert row(doc, SHOULD)["status"] == "passed"
    (w,) = doc["waivers"]["entries"]
    assert w["state"] == "unused" and "remove" in w["note"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[waiver]]\nreason = "r"\nowner = "o"\nexpires = 2027-01-01\n',
            "w.toml [[waiver]] #1 requirement: is missing; add requirement = ",
        ),
        (
            entry(SHOULD).replace('owner = "o@wallet.example"\n', ""),
            "#1 owner: is missing; add owner = ",
        ),
        (
            entry(SHOULD).replace('reason = "r"', 'reason = ""'),
            "#1 reason: must be a non-empty string",
        ),
        (
            entry(SHOULD, '"next year"'),
            "#1 expires: 'next year' is not a date; write expires = 2027-03-31",
        ),
        (
            entry(SHOULD).replace("expires = 2026-12-31\n", ""),
            "#1 expires: is missing; add expires = 2027-03-31",
        ),
        (
            entry("IUI-NO-SUCH"),
            (
                "#1 requirement: 'IUI-NO-SUCH' is not a known requirement ID; see `conformance "
                "requirements`"
            ),
        ),
        (
            entry(SHOULD) + entry(SHOULD),
            "#2 requirement: IUI-TRANSPORT-CONTENT-TYPE is waived twice",
        ),
        (
            entry(SHOULD) + 'expiry = "2027-01-01"\n',
            "#1 expiry: is not a waiver field; did you mean expires?",
        ),
        (
            "[waivers]\nx = 1\n",
            "w.toml waivers: is not a waiver table; write each waiver as [[waiver]]",
        ),
    ],
)
def test_bad_waiver_file_gets_one_line_naming_field_and_fix(text: str, message: str) -> None:
    with pytest.raises(WaiverError) as info:
        waivers(text)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_run_with_bad_waiver_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "w.toml"
    bad.write_text(entry(SHOULD, "2027-13-01").replace("= 2027-13-01", '= "2027-13-01"'))
    code, _ = certify_into(tmp_path, "--waivers", str(bad))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "expires: '2027-13-01' is not a date" in err


def test_run_shows_waived_must_unused_and_stays_not_certified(tmp_path: Path) -> None:
    w = tmp_path / "waivers.toml"
    w.write_text(entry(MUST, "2099-12-31") + entry("IUI-RESP-SIGNED", "2099-12-31"))
    code, doc = certify_into(tmp_path, "--fault", "scope-leak", "--waivers", str(w))
    assert code == 1 and doc["verdict"] == "NOT CERTIFIED"
    assert row(doc, MUST)["status"] == "waived"
    states = {e["requirement"]: e["state"] for e in doc["waivers"]["entries"]}
    assert states == {MUST: "applied", "IUI-RESP-SIGNED": "unused"}
    assert doc["waivers"]["digest"].startswith("sha256:")
    page = (tmp_path / "report.html").read_text()
    assert '<span class="badge st-waived">WAIVED</span>' in page
    assert 'id="ev-IUI-SCOPE-NO-EXTRA"' in page  # a waived failure keeps its evidence
    assert "non-certifying" in page and "remove the waiver" in page
    assert '<div id="verdict" class="verdict NOT">NOT CERTIFIED</div>' in page


def test_a_level_the_profile_changed_is_shown_with_the_documented_one() -> None:
    from conformance.report import html

    cat = catalogue().with_levels({MUST: "SHOULD"})
    tallies = {r.id: Tally(1, 1 if r.id == MUST else 0) for r in cat.requirements.values()}
    doc = build(tallies, cat, ["inquiryUserInfo"], [], META, Waivers(), TODAY)
    assert row(doc, MUST)["status"] == "warned" and row(doc, MUST)["level_default"] == "MUST"
    assert "level_default" not in row(doc, SHOULD)
    assert doc["verdict"] == "CERTIFIED"
    cover = html.cover(doc)
    assert (
        f"{MUST}: MUST lowered to SHOULD by the profile" in cover
        and f"{MUST} (SHOULD) warned" in cover
    )
