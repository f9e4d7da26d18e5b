"""The HTTP API (/api/v1): app factory, envelope and errors, dependencies, one router per resource."""
