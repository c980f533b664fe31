"""The OpenAPI 3.1 document of the platform API. A test checks it against every /api route and real responses."""
from __future__ import annotations

DATE = {"type": ["string", "null"], "format": "date"}
STATUS = {"type": "string", "enum": ["valid", "expired", "revoked", "suspended", "superseded"]}

SCHEMAS = {
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail", "code"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string"}, "code": {"type": "string"}},
    },
    "Links": {
        "type": "object", "required": ["verify", "open_badge", "vc_jwt"],
        "properties": {"verify": {"type": "string"}, "open_badge": {"type": "string"}, "vc_jwt": {"type": "string"}},
    },
    "Certificate": {
        "type": "object",
        "required": ["code", "status", "holder_name", "course_slug", "course_version", "issued_on", "valid_until", "expires_on", "issuer", "links"],
        "properties": {
            "code": {"type": "string"}, "status": STATUS, "status_changed_at": {"type": ["string", "null"]},
            "valid_until": {"type": "string", "format": "date"}, "recertify_by": DATE, "holder_name": {"type": "string"},
            "business": {"type": "string"}, "province": {"type": "string"}, "course_slug": {"type": "string"},
            "course_title_vi": {"type": "string"}, "course_title_en": {"type": "string"}, "course_version": {"type": "integer"},
            "issued_on": {"type": "string", "format": "date"}, "awarded_on": {"type": "string", "format": "date"},
            "expires_on": {"type": "string", "format": "date"}, "issuer": {"type": "string"},
            "superseded_by": {"type": ["string", "null"]}, "links": {"$ref": "#/components/schemas/Links"},
        },
    },
    "MissingItem": {
        "type": "object", "required": ["course", "reason"],
        "properties": {
            "course": {"type": "string"}, "course_title": {"type": "string"}, "percent": {"type": "integer"}, "since": DATE,
            "reason": {"type": "string", "enum": ["not_started", "in_progress", "assessment_failed", "assessment_pending",
                                                  "certificate_expired", "certificate_revoked", "certificate_suspended", "course_unavailable"]},
        },
    },
    "HeldCertificate": {
        "type": "object", "required": ["code", "course", "status", "valid_until", "links"],
        "properties": {"code": {"type": "string"}, "course": {"type": "string"}, "status": STATUS,
                       "issued_on": {"type": "string", "format": "date"}, "valid_until": {"type": "string", "format": "date"},
                       "recertify_by": DATE, "links": {"$ref": "#/components/schemas/Links"}},
    },
    "SellerOnboarding": {
        "type": "object",
        "required": ["seller_code", "eligible", "status", "missing", "certificates", "rule_set_version", "checked_at"],
        "properties": {
            "seller_code": {"type": "string"}, "business_name": {"type": "string"}, "province": {"type": "string"},
            "eligible": {"type": "boolean"}, "status": {"type": "string", "enum": ["eligible", "expiring", "not_eligible"]},
            "expires_on": DATE, "missing": {"type": "array", "items": {"$ref": "#/components/schemas/MissingItem"}},
            "certificates": {"type": "array", "items": {"$ref": "#/components/schemas/HeldCertificate"}},
            "rule_set_version": {"type": "integer"}, "checked_at": {"type": "string", "format": "date-time"},
        },
    },
    "SellerList": {
        "type": "object", "required": ["sellers"],
        "properties": {"sellers": {"type": "array", "items": {"$ref": "#/components/schemas/SellerOnboarding"}}},
    },
    "VerifyRequest": {
        "type": "object", "required": ["payload"],
        "properties": {"payload": {"type": "string", "minLength": 1, "maxLength": 16384,
                                   "description": "QR content, verification link with #JWS, or a JWS / VC-JWT"}},
    },
    "VerifyResult": {
        "type": "object", "required": ["genuine", "reason", "code", "certificate"],
        "properties": {
            "genuine": {"type": "boolean"},
            "reason": {"type": "string", "enum": ["genuine", "malformed", "algorithm_not_allowed", "unknown_key", "bad_signature"]},
            "code": {"type": ["string", "null"]},
            "certificate": {"oneOf": [{"$ref": "#/components/schemas/Certificate"}, {"type": "null"}]},
        },
    },
}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _ok(schema: str, description: str) -> dict:
    return {
        "description": description,
        "headers": {"X-OCOP-Signature": {"description": "Detached JWS (EdDSA) of the exact body; keys at /.well-known/jwks.json",
                                         "schema": {"type": "string"}},
                    "ETag": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


COMMON = {"401": _problem("Missing, unknown or revoked token"), "429": _problem("Rate limit reached; see Retry-After")}


def openapi_document(base_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OCOP Seller Academy platform API",
            "version": "1.0.0",
            "description": "Check whether an OCOP seller holds the certificates required for onboarding, and verify certificates.",
        },
        "servers": [{"url": base_url}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token created by an admin; scopes per client."}},
            "schemas": SCHEMAS,
        },
        "paths": {
            "/api/v1/certificates/{code}": {"get": {
                "summary": "A certificate's current status", "operationId": "getCertificate",
                "security": [{}, {"bearer": []}],
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _ok("Certificate", "The certificate"), "304": {"description": "Unchanged (If-None-Match)"},
                              "404": _problem("Unknown code"), **COMMON, "403": _problem("Token lacks certificates:read")},
            }},
            "/api/v1/sellers/{seller_code}/onboarding": {"get": {
                "summary": "Is this seller certified for onboarding, and what is missing", "operationId": "getSellerOnboarding",
                "security": [{"bearer": []}],
                "parameters": [{"name": "seller_code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _ok("SellerOnboarding", "The seller's status"), "304": {"description": "Unchanged"},
                              "404": _problem("Unknown seller code"), "403": _problem("Token lacks sellers:read"), **COMMON},
            }},
            "/api/v1/sellers": {"get": {
                "summary": "Find sellers by tax code or phone number", "operationId": "findSellers",
                "security": [{"bearer": []}],
                "description": "Give exactly one of the two parameters; both or neither is a 400.",
                "parameters": [{"name": "tax_code", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{10}(-[0-9]{3})?$"}},
                               {"name": "phone", "in": "query", "schema": {"type": "string", "minLength": 9, "maxLength": 20}}],
                "responses": {"200": _ok("SellerList", "Matching sellers (at most 20)"), "400": _problem("Give exactly one of tax_code or phone"),
                              "403": _problem("Token lacks sellers:read"), **COMMON},
            }},
            "/api/v1/verify": {"post": {
                "summary": "Verify a QR payload or token and get the current status", "operationId": "verifyCredential",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyRequest"}}}},
                "responses": {"200": _ok("VerifyResult", "The verdict"), "400": _problem("Malformed body"), "413": _problem("Body too large"),
                              "415": _problem("Not JSON"), "403": _problem("Token lacks verify"), **COMMON},
            }},
            "/api/openapi.json": {"get": {
                "summary": "This document", "operationId": "getOpenApi", "security": [{}],
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
    }
