import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from roar_api.v1 import files_pb2 as _files_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateRegistrationRequest(_message.Message):
    __slots__ = ("workspace", "target", "dry_run", "environment")
    class EnvironmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    target: str
    dry_run: bool
    environment: _containers.ScalarMap[str, str]
    def __init__(self, workspace: _Optional[str] = ..., target: _Optional[str] = ..., dry_run: _Optional[bool] = ..., environment: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Redaction(_message.Message):
    __slots__ = ("rule", "path")
    RULE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    rule: str
    path: str
    def __init__(self, rule: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class Link(_message.Message):
    __slots__ = ("hash", "url")
    HASH_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    hash: str
    url: str
    def __init__(self, hash: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class Registration(_message.Message):
    __slots__ = ("server", "scope", "kind", "target", "dry_run", "payload_json", "redactions", "artifacts", "sessions", "new", "known", "checklist", "counts", "requests")
    class NewEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class KnownEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SERVER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    REDACTIONS_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEW_FIELD_NUMBER: _ClassVar[int]
    KNOWN_FIELD_NUMBER: _ClassVar[int]
    CHECKLIST_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    server: str
    scope: str
    kind: str
    target: str
    dry_run: bool
    payload_json: str
    redactions: _containers.RepeatedCompositeFieldContainer[Redaction]
    artifacts: _containers.RepeatedCompositeFieldContainer[Link]
    sessions: _containers.RepeatedCompositeFieldContainer[Link]
    new: _containers.ScalarMap[str, int]
    known: _containers.ScalarMap[str, int]
    checklist: _containers.RepeatedCompositeFieldContainer[_files_pb2.ChecklistItem]
    counts: _containers.ScalarMap[str, int]
    requests: int
    def __init__(self, server: _Optional[str] = ..., scope: _Optional[str] = ..., kind: _Optional[str] = ..., target: _Optional[str] = ..., dry_run: _Optional[bool] = ..., payload_json: _Optional[str] = ..., redactions: _Optional[_Iterable[_Union[Redaction, _Mapping]]] = ..., artifacts: _Optional[_Iterable[_Union[Link, _Mapping]]] = ..., sessions: _Optional[_Iterable[_Union[Link, _Mapping]]] = ..., new: _Optional[_Mapping[str, int]] = ..., known: _Optional[_Mapping[str, int]] = ..., checklist: _Optional[_Iterable[_Union[_files_pb2.ChecklistItem, _Mapping]]] = ..., counts: _Optional[_Mapping[str, int]] = ..., requests: _Optional[int] = ...) -> None: ...

class QueueItem(_message.Message):
    __slots__ = ("id", "state", "server", "workspace", "target", "attempts", "created_at", "next_try", "last_error", "delivered_at", "idempotency_key", "receipt_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_TRY_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_JSON_FIELD_NUMBER: _ClassVar[int]
    id: int
    state: str
    server: str
    workspace: str
    target: str
    attempts: int
    created_at: _timestamp_pb2.Timestamp
    next_try: _timestamp_pb2.Timestamp
    last_error: str
    delivered_at: _timestamp_pb2.Timestamp
    idempotency_key: str
    receipt_json: str
    def __init__(self, id: _Optional[int] = ..., state: _Optional[str] = ..., server: _Optional[str] = ..., workspace: _Optional[str] = ..., target: _Optional[str] = ..., attempts: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_try: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., receipt_json: _Optional[str] = ...) -> None: ...

class ListQueueItemsRequest(_message.Message):
    __slots__ = ("states",)
    STATES_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, states: _Optional[_Iterable[str]] = ...) -> None: ...

class ListQueueItemsResponse(_message.Message):
    __slots__ = ("items", "counts")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[QueueItem]
    counts: _containers.ScalarMap[str, int]
    def __init__(self, items: _Optional[_Iterable[_Union[QueueItem, _Mapping]]] = ..., counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class RetryQueueItemsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RetryQueueItemsResponse(_message.Message):
    __slots__ = ("retried",)
    RETRIED_FIELD_NUMBER: _ClassVar[int]
    retried: int
    def __init__(self, retried: _Optional[int] = ...) -> None: ...

class DeleteQueueItemRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("workspace", "server")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    server: str
    def __init__(self, workspace: _Optional[str] = ..., server: _Optional[str] = ...) -> None: ...

class LoginPrompt(_message.Message):
    __slots__ = ("server", "verification_uri", "verification_uri_complete", "user_code", "expires_in")
    SERVER_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_URI_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_URI_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    USER_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    server: str
    verification_uri: str
    verification_uri_complete: str
    user_code: str
    expires_in: int
    def __init__(self, server: _Optional[str] = ..., verification_uri: _Optional[str] = ..., verification_uri_complete: _Optional[str] = ..., user_code: _Optional[str] = ..., expires_in: _Optional[int] = ...) -> None: ...

class LoginUpdate(_message.Message):
    __slots__ = ("prompt", "identity")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    prompt: LoginPrompt
    identity: Identity
    def __init__(self, prompt: _Optional[_Union[LoginPrompt, _Mapping]] = ..., identity: _Optional[_Union[Identity, _Mapping]] = ...) -> None: ...

class GetIdentityRequest(_message.Message):
    __slots__ = ("workspace", "server")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    server: str
    def __init__(self, workspace: _Optional[str] = ..., server: _Optional[str] = ...) -> None: ...

class Identity(_message.Message):
    __slots__ = ("server", "logged_in", "user", "scopes", "expires_at", "scope")
    SERVER_FIELD_NUMBER: _ClassVar[int]
    LOGGED_IN_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    server: str
    logged_in: bool
    user: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    expires_at: _timestamp_pb2.Timestamp
    scope: str
    def __init__(self, server: _Optional[str] = ..., logged_in: _Optional[bool] = ..., user: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope: _Optional[str] = ...) -> None: ...

class LogoutRequest(_message.Message):
    __slots__ = ("workspace", "server")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    server: str
    def __init__(self, workspace: _Optional[str] = ..., server: _Optional[str] = ...) -> None: ...

class LogoutResponse(_message.Message):
    __slots__ = ("server", "forgotten")
    SERVER_FIELD_NUMBER: _ClassVar[int]
    FORGOTTEN_FIELD_NUMBER: _ClassVar[int]
    server: str
    forgotten: bool
    def __init__(self, server: _Optional[str] = ..., forgotten: _Optional[bool] = ...) -> None: ...
