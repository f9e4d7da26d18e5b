"""The handler of each service in ``roar_api.services``. Adding a service means a row there and
a row here."""
from __future__ import annotations

import importlib
from typing import Any

from roar_api.services import SERVICES

#: proto module (see roar_api.services) -> handler class in the roard.handlers module of that name
HANDLERS: dict[str, str] = {
    "daemon": "DaemonHandler",
    "events": "EventHandler",
    "runs": "RunHandler",
    "jobs": "JobHandler",
    "workspaces": "WorkspaceHandler",
    "lineage": "LineageHandler",
    "artifacts": "ArtifactHandler",
    "config": "ConfigHandler",
    "tracers": "TracerHandler",
    "env": "EnvHandler",
    "labels": "LabelHandler",
    "transfers": "TransferHandler",
    "reproductions": "ReproductionHandler",
}


def register_services(server: Any, daemon: Any) -> list[str]:
    """Add every handler to ``server``; returns the full service names (for health/reflection)."""
    names = []
    for proto, service in SERVICES.items():
        pb2 = importlib.import_module(f"roar_api.v1.{proto}_pb2")
        grpc_mod = importlib.import_module(f"roar_api.v1.{proto}_pb2_grpc")
        impl = getattr(importlib.import_module(f"roard.handlers.{proto}"), HANDLERS[proto])(daemon)
        getattr(grpc_mod, f"add_{service}Servicer_to_server")(impl, server)
        names.append(pb2.DESCRIPTOR.services_by_name[service].full_name)
    return names
