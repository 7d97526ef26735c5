"""JUnit XML with one test case per requirement."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def render(results: Mapping[str, Any]) -> bytes:
    reqs = results["requirements"]
    counts = results["counts"]
    suite = ET.Element("testsuite", name="mpp-conformance", tests=str(len(reqs)),
                       failures=str(counts["failed"]), errors=str(len(results["errors"])),
                       skipped=str(counts["untested"]))
    props = ET.SubElement(suite, "properties")
    for name, value in (("verdict", results["verdict"]), ("contract", results.get("contract", {}).get("digest", "")),
                        ("suite", results.get("suite", {}).get("version", ""))):
        ET.SubElement(props, "property", name=name, value=str(value))
    for r in reqs:
        case = ET.SubElement(suite, "testcase", classname=f"{r['api']}.{r['family']}", name=r["id"])
        detail = f"{r['level']}: {r['text']}\nRule ({r['source']}): {r['rule']}"
        first = r["evidence"][0] if r["evidence"] else {}
        why = f"{first.get('message', '')} (expected {first.get('expected', '')}, got {first.get('received', '')})"
        if r["status"] == "failed":
            ET.SubElement(case, "failure", message=why, type=r["level"]).text = detail
        elif r["status"] == "untested":
            ET.SubElement(case, "skipped", message="not exercised by this run")
        elif r["status"] == "warned":
            ET.SubElement(case, "system-out").text = f"WARNING {why}\n{detail}"
    for err in results["errors"]:
        case = ET.SubElement(suite, "testcase", classname="suite", name=err["test"])
        ET.SubElement(case, "error", message=err["message"])
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def write(results: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(results))
