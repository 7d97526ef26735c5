"""The contract as OpenAPI 3.1: valid for a real validator, and faithful to schemas/."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from conformance.contract.openapi import component_name, document, path_placeholder
from conformance.contract.spec import contract

DOC_URI = "urn:mpp-conformance:openapi"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document(contract())


def test_validates_with_openapi_spec_validator(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"] == "3.1.0"


def test_the_validator_is_not_a_rubber_stamp(doc: dict[str, Any]) -> None:
    broken = copy.deepcopy(doc)
    del broken["components"]["parameters"]["ClientId"]["in"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_schema_is_a_component_and_no_ref_leaves_the_document(doc: dict[str, Any]) -> None:
    names = {component_name(uri) for uri in contract().schemas} - {"result-codes.schema"}
    assert set(doc["components"]["schemas"]) == names
    text = json.dumps(doc)
    assert '"$id"' not in text and '.json"' not in text
    refs = [v for k, v in _walk(doc) if k == "$ref"]
    assert refs and all(r.startswith("#/components/") for r in refs)


def test_both_operations_with_headers_and_placeholder_paths(doc: dict[str, Any]) -> None:
    for api in contract().apis:
        op = doc["paths"][path_placeholder(api)]["post"]
        assert op["operationId"] == api
        assert op["parameters"][0]["in"] == "path" and "[target.paths]" in op["description"]
        headers = {p["$ref"].rsplit("/", 1)[-1] for p in op["parameters"][1:]}
        assert headers == {"ClientId", "RequestTime", "Signature", "AgentToken"}
        assert {c["code"] for c in op["x-result-codes"]} == set(contract().apis[api].codes)
    assert "RSA256" in doc["components"]["securitySchemes"]["RSA256Signature"]["description"]


def test_paths_from_a_profile(doc: dict[str, Any]) -> None:
    mine = document(contract(), {"inquiryUserInfo": "/v1/alipayplus/inquiryUserInfo"})
    validate(mine)
    op = mine["paths"]["/v1/alipayplus/inquiryUserInfo"]["post"]
    assert all(p.get("in") != "path" for p in op["parameters"])


def test_components_judge_bodies_as_the_schemas_do(doc: dict[str, Any]) -> None:
    registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(doc))
    validator = Draft202012Validator(
        {"$ref": f"{DOC_URI}#/components/schemas/inquiryUserInfo.response"}, registry=registry
    )
    good = {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
        "userInfo": {"userId": "2160120012345678"},
    }
    assert list(validator.iter_errors(good)) == []
    bad = {
        "result": {"resultCode": "SUCCESS", "resultStatus": "X"},
        "userInfo": {"userId": 2160120012345678},
    }
    assert len(list(validator.iter_errors(bad))) == 2  # the Result and User refs are followed


def _walk(node: Any) -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in [(k, v), *_walk(v)]]
    if isinstance(node, list):
        return [pair for item in node for pair in _walk(item)]
    return []
