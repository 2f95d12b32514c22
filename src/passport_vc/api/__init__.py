"""The HTTP API (FastAPI): routers per resource, problem+json errors in one place."""

from passport_vc.api.app import create_app

__all__ = ["create_app"]
