"""GLaaS: the lineage registry server (REST API under /api/v1, web UI, search, accounts).

A separate top-level package with its own optional dependencies (``pip install '.[server]'``).
It never imports roard or roarctl, and they never import it; the payload shapes they share
are the OpenAPI document (``/api/v1/openapi.json``) and ``glaas/API.md``.
"""
