"""pytest-html's own sections as the certificate's technical appendix: each suite test's outcome
in words (no traceback, internal path or object repr), counts that name the requirements behind
them, the whole collapsed below the certificate."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from conformance.results import rows
from conformance.results.rows import Row


@dataclass(frozen=True)
class SuiteTest:
    """One suite test as the appendix shows it."""

    test: str
    outcome: str  # passed, failed, skipped, error
    text: str  # what happened, in one line
    broke: tuple[str, ...] = ()  # requirements it found broken


def _failures(row: Row) -> tuple[tuple[str, ...], str]:
    """The requirements a test's row found broken, and the first failure's message."""
    broke = tuple(sorted(rid for rid, rec in row.judged.items() if rec.failures))
    first = next((row.judged[rid].evidence for rid in broke if row.judged[rid].evidence), None)
    message = ""
    if isinstance(first, dict):
        message = f"{first['message']}; expected {first['expected']}, got {first['received']}"
    return broke, message


def outcome(
    test: str, result: str, props: Mapping[str, object], skip_reason: str = ""
) -> SuiteTest:
    """A test's outcome in words, from what the plugin recorded of it (its report's properties)."""
    if result == "skipped":
        reason = skip_reason.removeprefix("Skipped: ")
        return SuiteTest(test, "skipped", f"skipped: {reason or 'no reason given'}")
    got = rows.load(props.items(), test, transcript=False)
    broke, message = _failures(got.row) if got.row is not None else ((), "")
    judged = len(got.row.judged) if got.row is not None else 0
    if result == "passed":
        text = f"passed: {judged} requirements judged, none broken" if judged else "passed"
        return SuiteTest(test, "passed", text)
    if broke:
        return SuiteTest(test, "failed", f"broke {', '.join(broke)}: {message}", broke)
    error = got.error or "the test could not complete"
    return SuiteTest(test, "error", f"could not complete: {error}")


def duration(seconds: float) -> str:
    """A run's duration, as the cover states it (pytest-html rounds 59.6 s to `00:00:60`)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _n(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def tally(tests: Sequence[SuiteTest], failed_requirements: Iterable[str]) -> list[str]:
    """How the suite tests' counts reconcile with the requirement counts of the cover."""
    by = Counter(t.outcome for t in tests)
    lines = [
        f"{len(tests)} suite tests: "
        + ", ".join(f"{by[o]} {o}" for o in ("failed", "error", "passed", "skipped") if by[o])
        + ". A test fails when any requirement it judged is broken; the certificate counts "
        "requirements, each once however many tests broke it."
    ]
    if by["failed"]:
        broke = Counter(rid for t in tests for rid in t.broke)
        named = ", ".join(f"{rid} (by {_n(n, 'test')})" for rid, n in sorted(broke.items()))
        failed = sorted(set(failed_requirements))
        other = len(set(broke) - set(failed))
        lines.append(
            f"The {_n(by['failed'], 'failed test')} broke {_n(len(broke), 'requirement')}: "
            f"{named}; the cover counts {len(failed)} failed"
            + (f" ({', '.join(failed)})" if failed else "")
            + (f" and {other} as warned or waived" if other else "")
            + "."
        )
    if by["skipped"]:
        reasons = Counter(t.text.removeprefix("skipped: ") for t in tests if t.outcome == "skipped")
        named = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common())
        lines.append(f"The {_n(by['skipped'], 'skipped test')}: {named}.")
    return lines


_TITLE = re.compile(r'<h1 id="title">.*?</h1>\n?', re.DOTALL)
_CERT = re.compile(r'<div class="cert" id="certification">.*?\n</div>\n', re.DOTALL)
_RUN_COUNT = re.compile(r'<p class="run-count">[^<]*</p>')
_GENERATED = "<p>Report generated on"
_FOOTER = "<footer>"


def arrange(report: str, lines: Sequence[str], took: str) -> str:
    """The certificate first, right under the title, and pytest-html's sections after it in a
    collapsed `<details>` (readable without scripts); a report of another shape is left as is."""
    title, cert = _TITLE.search(report), _CERT.search(report)
    start, end = report.find(_GENERATED), report.rfind(_FOOTER)
    if not (title and cert and title.end() <= start < cert.start() < end):
        return report
    block = cert.group()
    rest = report[: cert.start()] + report[cert.end() :]
    start, end = rest.find(_GENERATED), rest.rfind(_FOOTER)
    count = escape(f"{lines[0].split(':')[0]} took {took}.") if lines else ""
    body = _RUN_COUNT.sub(lambda _: f'<p class="run-count">{count}</p>', rest[start:end], count=1)
    intro = "".join(f"<p>{escape(line)}</p>\n" for line in lines[1:])
    summary = escape(lines[0].split(". ")[0]) if lines else "suite tests"
    appendix = (
        f'<details id="appendix"><summary>Technical appendix: {summary}</summary>\n'
        f'<div class="tally"><p>{escape(lines[0]) if lines else ""}</p>\n{intro}</div>\n'
        f"{body}</details>\n"
    )
    at = title.end()
    return rest[:at] + block + rest[at:start] + appendix + rest[end:]
