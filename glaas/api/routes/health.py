from __future__ import annotations

from fastapi import Depends

from glaas.api.deps import database, settings
from glaas.api.routes.common import ok, router
from glaas.config import Settings
from glaas.db import Database
from glaas.schemas import Envelope, Health
from glaas.version import VERSION

api = router("health")


@api.get("/health", response_model=Envelope[Health], summary="Server health and feature flags")
def health(db: Database = Depends(database), s: Settings = Depends(settings)):
    with db.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    return ok(Health(version=VERSION, database=db.dialect, features={
        "anonymous_registration": s.anonymous_writes,
        "native_lineage_batch": True,
        "device_flow": True,
        "search": True,
        "scopes": ["anonymous", "public", "private"],
        "telemetry_collection": s.telemetry_enabled,
        "max_body_bytes": s.max_body_bytes,
    }))
