"""JUnit XML with one test case per requirement."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.core.sinks import for_xml
from conformance.results.document import RequirementRow, Results


def _why(r: RequirementRow) -> str:
    """The first piece of evidence in one line (its parts empty when there is none)."""
    found, expected, received = "", "", ""
    if r["evidence"]:
        ev = r["evidence"][0]
        found, expected, received = ev["message"], ev["expected"], ev["received"]
    return f"{found} (expected {expected}, got {received})"


def _commands(r: RequirementRow) -> str:
    """The commands that see the first piece of evidence again, one a line."""
    ev = r["evidence"][0] if r["evidence"] else None
    if ev is None:
        return ""
    lines = [f"{how}: {line}" for how in ("reproduce", "replay") if (line := ev.get(how))]
    return "".join(f"\n{line}" for line in lines)


def _outcome(case: ET.Element, r: RequirementRow) -> None:
    detail = f"{r['level']}: {r['text']}\nRule ({r['source']}): {r['rule']}{_commands(r)}"
    why = _why(r)
    if r["status"] == "failed":
        ET.SubElement(case, "failure", message=why, type=r["level"]).text = detail
    elif r["status"] == "warned":
        ET.SubElement(case, "system-out").text = f"WARNING {why}\n{detail}"
    elif r["status"] == "waived" and (w := r["waiver"]) is not None:
        note = " (a waived MUST makes the run non-certifying)" if r["level"] == "MUST" else ""
        ET.SubElement(
            case,
            "skipped",
            message=f"WAIVED {w['was']}{note}: {w['reason']} "
            f"(owner {w['owner']}, expires {w['expires']})",
        ).text = f"{why}\n{detail}"
    elif r["status"] != "passed":
        ET.SubElement(
            case,
            "skipped",
            message=f"{r['status']}: {r.get('reason') or 'not exercised by this run'}",
        )


def _safe(element: ET.Element) -> None:
    """Every attribute and text of the document through `for_xml`: the sink's one gate."""
    for node in element.iter():
        node.attrib = {for_xml(k): for_xml(v) for k, v in node.attrib.items()}
        if node.text is not None:
            node.text = for_xml(node.text)
        if node.tail is not None:
            node.tail = for_xml(node.tail)


def render(results: Results) -> bytes:
    """One test case per requirement: failed -> failure, warned -> pass with output, others ->
    skipped."""
    reqs = results["requirements"]
    skipped = sum(1 for r in reqs if r["status"] not in ("passed", "failed", "warned"))
    suite = ET.Element(
        "testsuite",
        name="mpp-conformance",
        tests=str(len(reqs)),
        failures=str(results["counts"]["failed"]),
        errors=str(len(results["errors"])),
        skipped=str(skipped),
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", results["verdict"]),
        ("contract", results["contract"]["digest"]),
        ("suite", results["suite"]["version"]),
    ):
        ET.SubElement(props, "property", name=name, value=str(value))
    for r in reqs:
        _outcome(
            ET.SubElement(suite, "testcase", classname=f"{r['api']}.{r['family']}", name=r["id"]), r
        )
    for err in results["errors"]:
        case = ET.SubElement(suite, "testcase", classname="suite", name=err["test"])
        ET.SubElement(case, "error", message=err["message"])
    _safe(suite)
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def write(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(results))
