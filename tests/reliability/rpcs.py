"""Every RPC of roar's API, found from the generated descriptors, callable through grpcio with
any request message: the fuzz and bad-input tests go over all of them, so a new RPC is covered
without being listed."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from roar_api.services import SERVICES


@dataclass(frozen=True)
class Rpc:
    service: str          # e.g. "roar.v1.RunService"
    name: str             # e.g. "BeginRun"
    request: Descriptor
    response: Descriptor
    server_streaming: bool

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"

    def __str__(self) -> str:
        return f"{self.service.rsplit('.', 1)[-1]}.{self.name}"

    def new_request(self) -> Any:
        return message_factory.GetMessageClass(self.request)()

    def call(self, channel: grpc.Channel, request: Any, timeout: float) -> Any:
        """Call with ``request``; a server stream is read until it ends or ``timeout`` passes
        (DEADLINE_EXCEEDED then, which callers accept for streams that follow forever)."""
        response_class = message_factory.GetMessageClass(self.response)
        if self.server_streaming:
            stub = channel.unary_stream(self.path, request_serializer=type(request).SerializeToString,
                                        response_deserializer=response_class.FromString)
            return list(stub(request, timeout=timeout))
        stub = channel.unary_unary(self.path, request_serializer=type(request).SerializeToString,
                                   response_deserializer=response_class.FromString)
        return stub(request, timeout=timeout)


def all_rpcs() -> list[Rpc]:
    found = []
    for module_name, service_name in SERVICES.items():
        module = importlib.import_module(f"roar_api.v1.{module_name}_pb2")
        service = module.DESCRIPTOR.services_by_name[service_name]
        for method in service.methods:
            found.append(Rpc(service.full_name, method.name, method.input_type, method.output_type,
                             method.server_streaming))
    return found


def string_fields(descriptor: Descriptor, prefix: str = "", depth: int = 2) -> Iterator[str]:
    """Dotted paths of the string fields of a message (nested messages to ``depth``; repeated
    and map fields included), e.g. ``argv`` or ``target.hash``."""
    for field in descriptor.fields:
        name = f"{prefix}{field.name}"
        if field.type == FieldDescriptor.TYPE_STRING:
            yield name
        elif field.type == FieldDescriptor.TYPE_MESSAGE and depth > 0:
            if field.message_type.GetOptions().map_entry:
                yield name
            elif field.message_type.full_name.startswith("roar."):
                yield from string_fields(field.message_type, f"{name}.", depth - 1)


def set_string(message: Any, path: str, value: str) -> None:
    """Put ``value`` into the string field at dotted ``path`` (appended when repeated, under
    key "k" / as the key of a map)."""
    head, _, rest = path.partition(".")
    field = message.DESCRIPTOR.fields_by_name[head]
    target = getattr(message, head)
    if rest:
        if field.is_repeated:
            target = target.add()
        set_string(target, rest, value)
    elif field.type == FieldDescriptor.TYPE_MESSAGE:   # a map field
        value_field = field.message_type.fields_by_name["value"]
        if value_field.type == FieldDescriptor.TYPE_STRING:
            target[value] = value
        else:
            target[value]  # noqa: B018 - a map of messages: the key alone
    elif field.is_repeated:
        target.append(value)
    else:
        setattr(message, head, value)


def channel(socket: Path) -> grpc.Channel:
    return grpc.insecure_channel(f"unix://{socket}", options=[("grpc.enable_retries", 0)])
