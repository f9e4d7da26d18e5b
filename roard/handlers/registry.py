"""Every service in ``roar_api.services`` (the one service table) gets its handler: the class
``<Name>Handler`` for service ``<Name>Service``, in the ``roard.handlers`` module named like the
service's proto module. Adding a service means a row there and a handler module here."""
from __future__ import annotations

import importlib
from typing import Any

from roar_api.services import SERVICES


def handler_class(proto: str, service: str) -> type:
    """The handler of ``service`` (e.g. ``JobService`` in proto module ``jobs``: ``JobHandler``)."""
    module = importlib.import_module(f"roard.handlers.{proto}")
    return getattr(module, service.removesuffix("Service") + "Handler")


def register_services(server: Any, daemon: Any) -> list[str]:
    """Add every handler to ``server``; returns the full service names (for health/reflection)."""
    names = []
    for proto, service in SERVICES.items():
        pb2 = importlib.import_module(f"roar_api.v1.{proto}_pb2")
        grpc_mod = importlib.import_module(f"roar_api.v1.{proto}_pb2_grpc")
        impl = handler_class(proto, service)(daemon)
        getattr(grpc_mod, f"add_{service}Servicer_to_server")(impl, server)
        names.append(pb2.DESCRIPTOR.services_by_name[service].full_name)
    return names
