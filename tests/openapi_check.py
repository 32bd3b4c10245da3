"""Checks a route's JSON answer against the OpenAPI document the extension serves."""

from __future__ import annotations

import re

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from studio_collab.core import present_features
from studio_collab.openapi import openapi_document

_URN = "urn:studio-collab:openapi"


class ResponseValidator:
    def __init__(self):
        modules = tuple(f"studio_collab.{n}" for n in present_features())
        self.document = openapi_document(modules)
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(_URN, resource)

    def operation(self, method: str, path: str) -> dict:
        for template, item in self.document["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
            if re.match(pattern, path) and method.lower() in item:
                return item[method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def validate(self, method: str, path: str, status: int, body) -> None:
        """``path`` is relative to studio-collab/, e.g. ``/status``."""
        responses = self.operation(method, path.split("?")[0])["responses"]
        spec = responses.get(str(status)) or responses.get("default")
        assert spec is not None, f"{method} {path} does not document status {status}"
        if "$ref" in spec:
            spec = self._resolve(spec["$ref"])
        schema = _absolute_refs(spec["content"]["application/json"]["schema"])
        jsonschema.Draft202012Validator(schema, registry=self.registry).validate(body)

    def _resolve(self, ref: str) -> dict:
        node = self.document
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node


def _absolute_refs(schema):
    if isinstance(schema, dict):
        return {k: (_URN + v if k == "$ref" and v.startswith("#") else _absolute_refs(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_absolute_refs(v) for v in schema]
    return schema
