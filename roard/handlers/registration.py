"""RegistrationService: each call is one RegistrationService (roard/registration/service.py)
method, its result converted to messages."""
from __future__ import annotations

import json

from google.protobuf.timestamp_pb2 import Timestamp

from roar_api.v1 import registration_pb2, registration_pb2_grpc
from roard.handlers.convert import checklist_messages, timestamp
from roard.handlers.errors import map_errors
from roard.handlers.relay import Done, relay
from roard.registration.queue import QueueItem
from roard.registration.service import DevicePrompt, Identity, RegisterOutcome


def _ts(seconds: float | None) -> Timestamp | None:
    """Unset (None) for "never" (0 or None)."""
    return timestamp(seconds) if seconds else None


def _registration(o: RegisterOutcome) -> registration_pb2.Registration:
    counts = {k: len(v) for k, v in o.body.items() if isinstance(v, list)}
    return registration_pb2.Registration(
        server=o.server, scope=o.scope, kind=o.kind, target=o.target, dry_run=o.dry_run,
        payload_json=json.dumps(o.body, indent=1, ensure_ascii=False),
        redactions=[registration_pb2.Redaction(rule=r.rule, path=r.path) for r in o.redactions],
        artifacts=[registration_pb2.Link(hash=h, url=u) for h, u in o.artifact_urls.items()],
        sessions=[registration_pb2.Link(hash=h, url=u) for h, u in o.session_urls.items()],
        new=o.new, known=o.known, checklist=checklist_messages(o.checklist), counts=counts,
        requests=o.requests)


def _item(i: QueueItem) -> registration_pb2.QueueItem:
    return registration_pb2.QueueItem(
        id=i.id, state=i.state, server=i.server, workspace=i.workspace, target=i.target,
        attempts=i.attempts, created_at=_ts(i.created_at), next_try=_ts(i.next_try) if i.state == "pending" else None,
        last_error=i.last_error, delivered_at=_ts(i.delivered_at), idempotency_key=i.key,
        receipt_json=json.dumps(i.receipt) if i.receipt else "")


def _identity(i: Identity) -> registration_pb2.Identity:
    return registration_pb2.Identity(server=i.server, logged_in=i.logged_in, user=i.user, scopes=i.scopes,
                                     expires_at=_ts(i.expires_at), scope=i.scope)


def _prompt(p: DevicePrompt) -> registration_pb2.LoginUpdate:
    return registration_pb2.LoginUpdate(prompt=registration_pb2.LoginPrompt(
        server=p.server, verification_uri=p.verification_uri,
        verification_uri_complete=p.verification_uri_complete, user_code=p.user_code, expires_in=p.expires_in))


@map_errors
class RegistrationHandler(registration_pb2_grpc.RegistrationServiceServicer):
    def __init__(self, daemon) -> None:
        self.registration = daemon.registration

    async def CreateRegistration(self, request, context):
        return _registration(await self.registration.register(
            request.workspace, request.target, request.dry_run, dict(request.environment)))

    async def ListQueueItems(self, request, context):
        items, counts = await self.registration.queue_items(tuple(request.states) or ("pending", "failed", "delivered"))
        return registration_pb2.ListQueueItemsResponse(items=[_item(i) for i in items], counts=counts)

    async def RetryQueueItems(self, request, context):
        return registration_pb2.RetryQueueItemsResponse(retried=await self.registration.retry_failed())

    async def DeleteQueueItem(self, request, context):
        return _item(await self.registration.drop(request.id))

    async def Login(self, request, context):
        async for item in relay(lambda emit: self.registration.login(request.workspace, request.server, emit),
                                lambda task: task.cancel()):
            yield registration_pb2.LoginUpdate(identity=_identity(item.result)) if isinstance(item, Done) \
                else _prompt(item)

    async def GetIdentity(self, request, context):
        return _identity(await self.registration.whoami(request.workspace, request.server))

    async def Logout(self, request, context):
        server, forgotten = await self.registration.logout(request.workspace, request.server)
        return registration_pb2.LogoutResponse(server=server, forgotten=forgotten)
