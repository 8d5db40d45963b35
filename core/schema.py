"""The OpenAPI schema (/api/schema/) as the API answers: the If-Match a write of a
versioned record needs, and the errors each operation may answer (DESIGN §4)."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from core.api import IF_MATCH, VersionedViewSetMixin

WRITES_AT_VERSION = {"PUT", "PATCH", "DELETE"}


class AutoSchema(openapi.AutoSchema):
    """The OpenAPI schema of every view: a PUT, PATCH or DELETE of a versioned record
    names the If-Match header it needs (actions on one record name it themselves)."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if isinstance(self.view, VersionedViewSetMixin) and self.method in WRITES_AT_VERSION:
            return [IF_MATCH, *parameters]
        return parameters


# Query parameters of every list that never answer 400 (a bad page answers 404). A
# search term does: one with a NUL character, which no stored text holds.
LIST_PARAMETERS = {"page", "page_size", "ordering"}

ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationErrors": {
        "type": "object",
        "description": "Field name → its messages; a rule not tied to one field comes "
        "under non_field_errors. A nested record or list answers in the same shape.",
        "properties": {"non_field_errors": {"type": "array", "items": {"type": "string"}}},
        "additionalProperties": {},
    },
}

ERROR_ANSWERS = {
    "400": ("ValidationErrors", "Invalid input"),
    "401": ("Error", "No or invalid credentials"),
    "403": ("Error", "The role may not do this"),
    "404": ("Error", "Does not exist, or outside your scope"),
    "412": ("Error", "If-Match names no current version of the record"),
    "415": ("Error", "A body of a media type the operation does not read"),
    "428": ("Error", "If-Match missing"),
}


# The 404 of an operation that looks up, in the caller's scope, a record its body names
# (`carry-over/`'s cycle): the rules below see only the path and the query. For
# `extend_schema(responses=...)`.
BODY_NAMES_A_RECORD = OpenApiResponse(
    response={"$ref": "#/components/schemas/Error"}, description=ERROR_ANSWERS["404"][1]
)


def error_answers(operation, method, path):
    """The error statuses an operation may answer, from what it takes (DESIGN §4)."""
    parameters = operation.get("parameters", [])
    query = {p["name"] for p in parameters if p["in"] == "query"}
    names_an_object = any(p["in"] == "query" and p.get("required") for p in parameters)
    headers = {p["name"] for p in parameters if p["in"] == "header"}
    signed_in = {} not in operation.get("security", [{}])
    codes = []
    # A write is refused by the services' rules; a read only for a bad filter value.
    if method != "get" or query - LIST_PARAMETERS:
        codes.append("400")
    if signed_in:
        codes.append("401")
    if signed_in and method != "get":
        codes.append("403")
    if "{" in path or "page" in query or names_an_object:
        codes.append("404")
    if "If-Match" in headers:
        codes += ["412", "428"]
    if "requestBody" in operation:
        codes.append("415")
    return codes


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation documents the errors it may answer, with
    their bodies, next to the answers it documents itself."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            for code in error_answers(operation, method, path):
                name, description = ERROR_ANSWERS[code]
                operation["responses"].setdefault(
                    code,
                    {
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                        },
                        "description": description,
                    },
                )
    return result
