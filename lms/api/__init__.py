"""The platform API v1: JSON under /api/v1/, bearer tokens with scopes, problem+json errors, signed responses."""
