"""One router per resource; glaas/api/app.py mounts them all under /api/v1."""
