import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LabelTarget(_message.Message):
    __slots__ = ("workspace", "kind", "ref")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    kind: str
    ref: str
    def __init__(self, workspace: _Optional[str] = ..., kind: _Optional[str] = ..., ref: _Optional[str] = ...) -> None: ...

class LabelDocument(_message.Message):
    __slots__ = ("kind", "entity", "version", "labels", "created_at")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    entity: str
    version: int
    labels: _containers.ScalarMap[str, str]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[str] = ..., entity: _Optional[str] = ..., version: _Optional[int] = ..., labels: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetLabelsRequest(_message.Message):
    __slots__ = ("target", "patch")
    class PatchEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PATCH_FIELD_NUMBER: _ClassVar[int]
    target: LabelTarget
    patch: _containers.ScalarMap[str, str]
    def __init__(self, target: _Optional[_Union[LabelTarget, _Mapping]] = ..., patch: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CopyLabelsRequest(_message.Message):
    __slots__ = ("source", "target")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    source: LabelTarget
    target: LabelTarget
    def __init__(self, source: _Optional[_Union[LabelTarget, _Mapping]] = ..., target: _Optional[_Union[LabelTarget, _Mapping]] = ...) -> None: ...

class LabelHistoryResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[LabelDocument]
    def __init__(self, versions: _Optional[_Iterable[_Union[LabelDocument, _Mapping]]] = ...) -> None: ...
