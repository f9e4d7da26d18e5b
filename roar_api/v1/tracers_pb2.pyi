from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Tracer(_message.Message):
    __slots__ = ("name", "usable", "reason", "path", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USABLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    usable: bool
    reason: str
    path: str
    description: str
    def __init__(self, name: _Optional[str] = ..., usable: _Optional[bool] = ..., reason: _Optional[str] = ..., path: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ListTracersRequest(_message.Message):
    __slots__ = ("workspace",)
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    def __init__(self, workspace: _Optional[str] = ...) -> None: ...

class ListTracersResponse(_message.Message):
    __slots__ = ("tracers", "default", "auto_choice")
    TRACERS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    AUTO_CHOICE_FIELD_NUMBER: _ClassVar[int]
    tracers: _containers.RepeatedCompositeFieldContainer[Tracer]
    default: str
    auto_choice: str
    def __init__(self, tracers: _Optional[_Iterable[_Union[Tracer, _Mapping]]] = ..., default: _Optional[str] = ..., auto_choice: _Optional[str] = ...) -> None: ...
