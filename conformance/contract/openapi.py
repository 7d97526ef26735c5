"""The contract as an OpenAPI 3.1 document, generated from schemas/ so other tools can consume
it."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

from conformance import __version__
from conformance.contract.spec import Api, Contract

OPENAPI_VERSION = "3.1.0"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOT_COMPONENTS = ("result-codes.schema.json",)  # describes our code tables, not the API

# API -> (who serves it, server variable, what the page says about the path)
ROLES = {
    "inquiryUserInfo": (
        "the wallet (MPP); Alipay+ calls it",
        "walletBaseUrl",
        "Alipay+ defines no path (the page shows POST /undefined): each wallet registers its own.",
    ),
    "prepareAuthInfo": (
        "Alipay+; the wallet (MPP) calls it",
        "alipayplusBaseUrl",
        "The page shows no path: use the one Alipay+ gives the wallet.",
    ),
}
OTHER_ROLE = ("its server", "baseUrl", "The path is configurable.")
SIGNING = (
    "Every request and response is signed with RSA256 (SHA256withRSA, PKCS#1 v1.5, RSA-2048 keys). "
    "Content to sign: `POST <Request-URI>\\n<Client-Id>.<Request-Time>.<raw body>` (responses: "
    "`<Response-Time>` and the response body, the request URI unchanged). The signature is "
    "base64 then URL-encoded, and sent as `Signature: "
    "algorithm=RSA256,keyVersion=<n>,signature=<value>` "
    "(a space after each comma is also accepted). The receiver verifies it with the public key the "
    "sender registered for its Client-Id and keyVersion. OpenAPI has no scheme for message "
    "signatures, so `RSA256Signature` below names the header only."
)
RULES = (
    'Rules stated on every API page: every parameter except arrays is a JSON string ("20", '
    '"true"); an optional parameter not needed is left out or null, never ""; limits are in '
    "characters. resultStatus S: continue; F: act on resultCode, do not retry; U or no response: "
    "retry with the same parameters. Header names are case-insensitive. `x-label` on a schema "
    "property tells the basis of a fact: D documented for Alipay+, S a sibling gateway only, I "
    "inferred."
)


def component_name(uri: str) -> str:
    """`https://.../schemas/inquiryUserInfo.request.json` -> `inquiryUserInfo.request`."""
    return uri.rsplit("/", 1)[-1].removesuffix(".json")


def _rewrite(node: Any, base: str, known: Mapping[str, str]) -> Any:
    """Point every $ref at a file of schemas/ to its component, so the document stands alone."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema"):
                continue
            if key == "$ref" and isinstance(value, str):
                target, fragment = urldefrag(urljoin(base, value))
                if target in known:
                    value = f"#/components/schemas/{known[target]}{fragment}"
            out[key] = _rewrite(value, base, known)
        return out
    if isinstance(node, list):
        return [_rewrite(item, base, known) for item in node]
    return copy.deepcopy(node)


def _schemas(contract: Contract) -> dict[str, Any]:
    known = {
        uri: component_name(uri) for uri in contract.schemas if not uri.endswith(NOT_COMPONENTS)
    }
    return {known[uri]: _rewrite(dict(contract.schemas[uri]), uri, known) for uri in sorted(known)}


def _header(description: str, required: bool, pattern: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"description": description, "required": required, "schema": schema}


TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
SIGNATURE_PATTERN = r"^algorithm=RSA256, ?keyVersion=[^,]+, ?signature=\S+$"


def _parameters() -> dict[str, Any]:
    def param(name: str, text: str, required: bool, pattern: str | None = None) -> dict[str, Any]:
        return {"name": name, "in": "header", **_header(text, required, pattern)}

    return {
        "ClientId": param(
            "Client-Id", "The caller's client ID, e.g. SANDBOX_5YC47N2ZQHJ004124 [D].", True
        ),
        "RequestTime": param(
            "Request-Time",
            "ISO 8601 with offset, e.g. 2019-05-28T12:12:12+08:00; "
            "Z and fractional seconds also appear in the docs [D].",
            True,
            TIME_PATTERN,
        ),
        "Signature": param(
            "Signature",
            "algorithm=RSA256,keyVersion=1,signature=<url-encoded base64> [D]. " + SIGNING,
            True,
            SIGNATURE_PATTERN,
        ),
        "AgentToken": param(
            "Agent-Token",
            "Only for a technical service provider acting for a partner; a wallet ignores it [D].",
            False,
        ),
    }


def _response_headers() -> dict[str, Any]:
    return {
        "ClientId": _header("The responder's client ID [S].", False),
        "ResponseTime": _header("ISO 8601 with offset [S].", False, TIME_PATTERN),
        "Signature": _header(
            "RSA256 signature of the response [S]. The official Python SDK accepts an "
            "unsigned response only when Signature and Response-Time are both absent "
            "and resultStatus is F or U.",
            False,
            SIGNATURE_PATTERN,
        ),
    }


def _operation(api: Api) -> dict[str, Any]:
    served_by, variable, path_note = ROLES.get(api.name, OTHER_ROLE)
    codes = [{"code": c.code, "status": c.status, "message": c.message} for c in api.codes.values()]
    return {
        "operationId": api.name,
        "summary": f"{api.name}: served by {served_by}",
        "description": f"{path_note} The path is configurable: `[target.paths] {api.name}` in a "
        f"conformance profile. Result codes: {api.codes_source}.",
        "servers": [
            {
                "url": f"{{{variable}}}",
                "variables": {
                    variable: {
                        "default": "https://host.example",
                        "description": f"Base URL of {served_by.split(';')[0]}.",
                    }
                },
            }
        ],
        "parameters": [
            {"$ref": f"#/components/parameters/{n}"}
            for n in ("ClientId", "RequestTime", "Signature", "AgentToken")
        ],
        "security": [{"RSA256Signature": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json; charset=UTF-8": {
                    "schema": {"$ref": f"#/components/schemas/{api.name}.request"}
                }
            },
        },
        "responses": {
            "200": {
                "description": "Every business outcome, success or failure, is HTTP 200; the "
                "outcome is in "
                "result. Any other status is treated as no result (unknown) [I].",
                "headers": {
                    n: {"$ref": f"#/components/headers/{n}"}
                    for n in ("ClientId", "ResponseTime", "Signature")
                },
                "content": {
                    "application/json; charset=UTF-8": {
                        "schema": {"$ref": f"#/components/schemas/{api.name}.response"}
                    }
                },
            }
        },
        "x-result-codes": codes,
    }


def path_placeholder(api: str) -> str:
    return f"/{{{api}Path}}"


def document(contract: Contract, paths: Mapping[str, str] | None = None) -> dict[str, Any]:
    """OpenAPI 3.1 for every API of the contract; paths from a profile, else documented
    placeholders."""
    paths = paths or {}
    out_paths: dict[str, Any] = {}
    for name in sorted(contract.apis):
        op = _operation(contract.apis[name])
        path = paths.get(name)
        if path is None:
            path = path_placeholder(name)
            op["parameters"] = [
                {
                    "name": f"{name}Path",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "Placeholder for the whole path (it may contain slashes): "
                    + ROLES.get(name, OTHER_ROLE)[2],
                },
                *op["parameters"],
            ]
        out_paths[path] = {"post": op}
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": "Alipay+ wallet (MPP) APIs: inquiryUserInfo and prepareAuthInfo",
            "version": f"{__version__}+{contract.digest.removeprefix('sha256:')[:12]}",
            "description": (
                f"Generated by mpp-conformance from schemas/ (contract {contract.digest}). "
            )
            + RULES
            + " "
            + SIGNING,
        },
        "paths": out_paths,
        "components": {
            "schemas": _schemas(contract),
            "parameters": _parameters(),
            "headers": _response_headers(),
            "securitySchemes": {
                "RSA256Signature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Signature",
                    "description": SIGNING,
                }
            },
        },
    }
