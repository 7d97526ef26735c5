from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conformance.contract.spec import default_directory, load_contract
from conformance.core.errors import ContractError


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(default_directory(), target)
    return target


def test_contract_loads_both_apis_with_their_code_tables() -> None:
    contract = load_contract()
    iui, pai = contract.apis["inquiryUserInfo"], contract.apis["prepareAuthInfo"]
    assert (
        iui.status_of("REQUEST_TRAFFIC_EXCEED_LIMIT") == "U"
        and iui.status_of("INVALID_TOKEN") == "F"
    )
    assert (
        "INVALID_API" in pai.codes
        and "QUOTE_NOT_FOUND" in pai.codes
        and "INVALID_API" not in iui.codes
    )
    assert {f.name: f.max_length for f in iui.request_fields()} == {
        "pspId": 64,
        "acquirerId": 64,
        "accessToken": 128,
    }
    assert {f.name: f.max_length for f in pai.request_fields()} == {
        "authUrl": 2048,
        "acquirerId": 64,
    }
    assert contract.digest.startswith("sha256:")


def test_every_scalar_in_the_contract_is_a_string() -> None:
    contract = load_contract()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            t = node.get("type")
            if t is not None and t not in ("object", "array"):
                types = t if isinstance(t, list) else [t]
                assert set(types) <= {"string", "null", "object", "array"}, node
            for v in node.values():
                walk(v)

    for uri, schema in contract.schemas.items():
        if "result-codes" not in uri:
            walk(schema)


def test_digest_changes_with_any_schema_byte(schemas: Path) -> None:
    before = load_contract(schemas).digest
    path = schemas / "User.json"
    path.write_text(path.read_text() + " ")
    assert load_contract(schemas).digest != before


def test_invalid_json_is_refused_with_the_file_and_line(schemas: Path) -> None:
    (schemas / "Result.json").write_text('{"type": "object",\n  oops}')
    with pytest.raises(ContractError, match=r"Result.json: is not valid JSON \(line 2"):
        load_contract(schemas)


def test_schema_breaking_the_metaschema_is_refused(schemas: Path) -> None:
    path = schemas / "User.json"
    data = json.loads(path.read_text())
    data["properties"]["userId"]["maxLength"] = "sixty-four"
    path.write_text(json.dumps(data))
    with pytest.raises(ContractError, match="User.json at properties/userId/maxLength"):
        load_contract(schemas)


def test_code_table_with_a_bad_status_is_refused(schemas: Path) -> None:
    path = schemas / "inquiryUserInfo.result-codes.json"
    data = json.loads(path.read_text())
    data["codes"][0]["status"] = "X"
    path.write_text(json.dumps(data))
    with pytest.raises(ContractError, match="result-codes.json at codes/0/status"):
        load_contract(schemas)


def test_missing_schema_file_is_refused(schemas: Path) -> None:
    (schemas / "prepareAuthInfo.response.json").unlink()
    with pytest.raises(ContractError, match="prepareAuthInfo.response.json"):
        load_contract(schemas)
