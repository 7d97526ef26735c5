"""Load the contract: JSON Schemas and result-code tables from schemas/."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource

from conformance.core.errors import ContractError

SCHEMA_BASE = "https://mpp-conformance.dev/schemas/"
APIS = ("inquiryUserInfo", "prepareAuthInfo")


@dataclass(frozen=True)
class ResultCode:
    code: str
    status: str
    message: str
    retry: str


@dataclass(frozen=True)
class Field:
    """One top-level scalar property of a request or response schema."""

    name: str
    schema: Mapping[str, Any]
    required: bool

    @property
    def max_length(self) -> int | None:
        value = self.schema.get("maxLength")
        return int(value) if value is not None else None

    @property
    def label(self) -> str:
        return str(self.schema.get("x-label", "D"))


@dataclass(frozen=True)
class Api:
    name: str
    request: Mapping[str, Any]
    response: Mapping[str, Any]
    codes: Mapping[str, ResultCode]
    codes_source: str

    def status_of(self, code: str) -> str | None:
        row = self.codes.get(code)
        return row.status if row else None

    def request_fields(self) -> tuple[Field, ...]:
        return _fields(self.request)

    def response_fields(self) -> tuple[Field, ...]:
        return _fields(self.response)


@dataclass(frozen=True)
class Contract:
    apis: Mapping[str, Api]
    schemas: Mapping[str, Mapping[str, Any]]
    registry: Registry[Any]
    digest: str

    def validator(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(schema, registry=self.registry)

    def resolve(self, name: str) -> Mapping[str, Any]:
        return self.schemas[SCHEMA_BASE + name]

    def scopes(self) -> tuple[str, ...]:
        """The scopes a token may be granted: the x-scope annotations of User.json, in order."""
        props = self.resolve("User.json").get("properties", {})
        return tuple(sub["x-scope"] for sub in props.values() if "x-scope" in sub)


def _fields(schema: Mapping[str, Any]) -> tuple[Field, ...]:
    required = set(schema.get("required", ()))
    return tuple(
        Field(name, MappingProxyType(dict(sub)), name in required)
        for name, sub in schema.get("properties", {}).items()
        if "$ref" not in sub
    )


def default_directory() -> Path:
    """The copy of schemas/ installed inside the package, else the checkout's own schemas/."""
    # The installed copy comes first: beside an installed package, ../schemas is whatever another
    # distribution put in site-packages. A checkout has no copy inside the package (the build
    # makes it), so there the repository's schemas/ is the contract.
    installed = Path(str(resources.files("conformance") / "schemas"))
    checkout = Path(__file__).resolve().parents[2] / "schemas"
    return checkout if checkout.is_dir() and not installed.is_dir() else installed


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(str(path), f"cannot be read ({exc})", "restore it from the repository")
    except json.JSONDecodeError as exc:
        raise ContractError(
            str(path), f"is not valid JSON (line {exc.lineno}: {exc.msg})", "fix the JSON syntax"
        )
    if not isinstance(data, dict):
        raise ContractError(str(path), "must hold a JSON object", "wrap the schema in {...}")
    return data


def _check_schema(path: Path, schema: Mapping[str, Any]) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        raise ContractError(
            f"{path.name} at {where}",
            f"is not a valid JSON Schema ({exc.message})",
            "correct it against the 2020-12 metaschema",
        )
    if not str(schema.get("$id", "")).startswith(SCHEMA_BASE):
        raise ContractError(path.name, "has no $id under " + SCHEMA_BASE, "add one")


def _iter_schema_files(directory: Path) -> Iterator[Path]:
    return (
        p for p in sorted(directory.glob("*.json")) if not p.name.endswith(".result-codes.json")
    )


def directory_digest(directory: Path) -> str:
    """SHA-256 over every file of schemas/, by name: the contract version."""
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.json")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


def load_contract(directory: Path | None = None) -> Contract:
    """Load and validate every schema and code table; refuse a broken file."""
    directory = directory or default_directory()
    if not directory.is_dir():
        raise ContractError(str(directory), "is not a directory", "point at the schemas/ folder")
    schemas: dict[str, Mapping[str, Any]] = {}
    for path in _iter_schema_files(directory):
        schema = _read(path)
        _check_schema(path, schema)
        schemas[schema["$id"]] = schema
    registry: Registry[Any] = Registry().with_resources(
        (uri, Resource.from_contents(dict(s))) for uri, s in schemas.items()
    )
    table_schema = schemas.get(SCHEMA_BASE + "result-codes.schema.json")
    if table_schema is None:
        raise ContractError(str(directory), "has no result-codes.schema.json", "restore it")
    apis: dict[str, Api] = {}
    for name in APIS:
        apis[name] = _load_api(directory, name, schemas, table_schema)
    return Contract(
        MappingProxyType(apis), MappingProxyType(schemas), registry, directory_digest(directory)
    )


def _load_api(
    directory: Path,
    name: str,
    schemas: Mapping[str, Mapping[str, Any]],
    table_schema: Mapping[str, Any],
) -> Api:
    found = {}
    for part in ("request", "response"):
        uri = f"{SCHEMA_BASE}{name}.{part}.json"
        if uri not in schemas:
            raise ContractError(str(directory), f"has no {name}.{part}.json", "restore it")
        found[part] = schemas[uri]
    table_path = directory / f"{name}.result-codes.json"
    table = _read(table_path)
    errors = sorted(Draft202012Validator(table_schema).iter_errors(table), key=lambda e: e.path)
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.path) or "(root)"
        raise ContractError(
            f"{table_path.name} at {where}", err.message, "match result-codes.schema.json"
        )
    codes = {row["code"]: ResultCode(**row) for row in table["codes"]}
    return Api(name, found["request"], found["response"], MappingProxyType(codes), table["source"])


@cache
def contract() -> Contract:
    """The contract shipped with the suite, loaded once."""
    return load_contract()


def alipaycn_acquirer_id() -> str:
    """AlipayCN's acquirerId, which the prepareAuthInfo page fixes (the schema's `x-fixed`)."""
    fields = contract().apis["prepareAuthInfo"].request["properties"]
    return str(fields["acquirerId"]["x-fixed"])
