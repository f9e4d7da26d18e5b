"""The services roard serves: one row per proto service, its generated module and its handler.
Adding a service means adding a row here."""
from __future__ import annotations

import importlib
from typing import Any

#: (proto module under roar_api.v1, service name, handler "module:Class" under roard.handlers)
SERVICES: list[tuple[str, str, str]] = [
    ("daemon", "DaemonService", "daemon:DaemonHandler"),
    ("events", "EventService", "events:EventHandler"),
    ("runs", "RunService", "runs:RunHandler"),
    ("jobs", "JobService", "jobs:JobHandler"),
    ("workspaces", "WorkspaceService", "workspaces:WorkspaceHandler"),
    ("lineage", "LineageService", "lineage:LineageHandler"),
    ("artifacts", "ArtifactService", "artifacts:ArtifactHandler"),
    ("config", "ConfigService", "config:ConfigHandler"),
    ("tracers", "TracerService", "tracers:TracerHandler"),
    ("env", "EnvService", "env:EnvHandler"),
    ("labels", "LabelService", "labels:LabelHandler"),
]


def register_services(server: Any, daemon: Any) -> list[str]:
    """Add every handler to ``server``; returns the full service names (for health/reflection)."""
    names = []
    for proto, service, handler in SERVICES:
        pb2 = importlib.import_module(f"roar_api.v1.{proto}_pb2")
        grpc_mod = importlib.import_module(f"roar_api.v1.{proto}_pb2_grpc")
        module, cls = handler.split(":")
        impl = getattr(importlib.import_module(f"roard.handlers.{module}"), cls)(daemon)
        getattr(grpc_mod, f"add_{service}Servicer_to_server")(impl, server)
        names.append(pb2.DESCRIPTOR.services_by_name[service].full_name)
    return names
