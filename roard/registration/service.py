"""RegistrationService: ``roarctl register`` (now, with a receipt), the background queue
(``registration.auto``), and the login to a GLaaS server (device flow, whoami, logout).

Registration never slows a run: the daemon learns of a recorded job from the event bus and
builds and queues its lineage afterwards; the queue sends in the background.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from roard.capture.omission import OmissionFilter, Redaction
from roard.errors import FailedPrecondition, InvalidArgument, NotFound
from roard.events import DaemonEvent, EventBus
from roard.lineage import checklist
from roard.lineage.checklist import ChecklistResult
from roard.lineage.model import JobRecord
from roard.lineage.store import JobStore
from roard.registration import payload as payloads
from roard.registration import remote, targets
from roard.registration.http import GlaasHttp, HttpProblem, Rejected, Retryable, Unreachable
from roard.registration.queue import QueueItem, RegistrationQueue, send_lineage
from roard.registration.settings import (Login, Target, effective_config, forget_login, save_login, server_target)
from roard.workspace.layout import WorkspacePaths
from roard.workspace.registry import Workspace, WorkspaceRegistry

log = logging.getLogger(__name__)

#: Jobs per request: a 1,000-job session is a couple of requests, each well under the server's
#: body limit.
MAX_JOBS_PER_REQUEST = 500
#: Seconds without a run starting or a job being recorded before the queue builds or sends.
QUIET_S = 1.0
DEVICE_START = "/api/v1/auth/device/start"
DEVICE_TOKEN = "/api/v1/auth/device/token"
WHOAMI = "/api/v1/auth/whoami"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class RegisterOutcome:
    server: str
    scope: str
    kind: str                                # artifact | job | session
    target: str
    dry_run: bool
    body: dict[str, Any]                     # what was (or would be) sent, after omission
    redactions: list[Redaction]
    artifact_urls: dict[str, str]            # target artifact -> its page
    session_urls: dict[str, str]
    new: dict[str, int] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    checklist: list[ChecklistResult] = field(default_factory=list)
    requests: int = 0


@dataclass(frozen=True)
class DevicePrompt:
    """What the user must do: open ``verification_uri`` and enter ``user_code``."""

    server: str
    verification_uri: str
    verification_uri_complete: str
    user_code: str
    expires_in: int


@dataclass(frozen=True)
class Identity:
    server: str
    user: str
    scopes: list[str]
    expires_at: float
    logged_in: bool
    scope: str                # the scope registrations from this workspace go under


def _reason(exc: HttpProblem, server: str) -> str:
    if isinstance(exc, Unreachable):
        return f"{exc}; is the server running? (glaas.url = {server})"
    if isinstance(exc, Rejected) and exc.status == 401:
        return f"{server} needs a valid login for this ({exc.reason}); run `roarctl login`"
    if isinstance(exc, Rejected) and exc.status == 403:
        return f"{server} does not allow this: {exc.reason}"
    return f"{server} answered {getattr(exc, 'status', '?')}: {getattr(exc, 'reason', exc)}"


def _raise_for(exc: HttpProblem, server: str) -> None:
    """One sentence (FAILED_PRECONDITION: roarctl's UNAVAILABLE means roard itself is gone)."""
    raise FailedPrecondition(_reason(exc, server)) from None


class RegistrationService:
    def __init__(self, workspaces: WorkspaceRegistry, bus: EventBus, state_dir: Path) -> None:
        self.workspaces = workspaces
        self.bus = bus
        self.queue = RegistrationQueue(state_dir / "registration.db", bus)
        self._pending: set[asyncio.Task[None]] = set()
        self._started = False
        self._last_activity = 0.0            # monotonic time of the last run started or job recorded
        self._enqueuing = asyncio.Lock()     # one job at a time: each sees what the one before queued
        self.queue.gate = self.wait_quiet

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the queue's worker and catch up on jobs recorded while no daemon queued them
        (killed between recording and queueing)."""
        if self._started:
            return
        self._started = True
        self.queue.start()
        self._spawn(self._catch_up())

    def on_event(self, event: DaemonEvent) -> None:
        """The bus listener: a recorded job is queued afterwards when its workspace has
        registration.auto on, and a put job whenever a server is set."""
        if event.topic in ("run.started", "job.recorded"):
            self._last_activity = time.monotonic()
        if event.topic == "job.recorded" and event.workspace and event.job_uid:
            if not self._started:
                self.start()
            self._spawn(self._auto(event.workspace, event.job_uid))

    async def wait_quiet(self) -> None:
        """Background registration yields to runs: it waits until no run has started and no
        job was recorded for QUIET_S (a burst of short runs is not competed with; a long run
        alone does not hold it up)."""
        while (wait := self._last_activity + QUIET_S - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        await self.queue.close()

    # --- what to send --------------------------------------------------------------------------

    def _workspace(self, cwd: str) -> Workspace:
        return self.workspaces.get(cwd)

    async def _payload(self, ws: Workspace, selection: targets.Selection, target: Target,
                       environment: dict[str, str]) -> payloads.Payload:
        config = await asyncio.to_thread(effective_config, ws.paths.config)
        omit = OmissionFilter.from_config(config, environment, os.environ, *[j.env for j in selection.jobs])
        composites = await _composite_rows(ws.store, [j.uid for j in selection.jobs])
        labels = await _label_rows(ws.store)
        return await asyncio.to_thread(payloads.build, selection.jobs, composites, labels, omit,
                                       target.scope, selection.loose)

    async def _target(self, ws: Workspace | None, server: str = "") -> Target:
        config = await asyncio.to_thread(effective_config, ws.paths.config if ws else None)
        return server_target(config, server)

    # --- register now --------------------------------------------------------------------------

    async def register(self, cwd: str, ref: str, dry_run: bool = False,
                       environment: dict[str, str] | None = None) -> RegisterOutcome:
        ws = self._workspace(cwd)
        target = await self._target(ws)
        selection = await targets.select(ws.store, ref, cwd)
        payload = await self._payload(ws, selection, target, environment or {})
        outcome = RegisterOutcome(
            server=target.url, scope=target.scope, kind=selection.kind, target=ref, dry_run=dry_run,
            body=payload.body, redactions=payload.redactions,
            artifact_urls={h: target.artifact_page(h) for h in selection.artifacts},
            session_urls={h: target.session_page(h) for h in payload.session_hashes})
        if dry_run:
            return outcome
        token = target.login.token if target.login else ""
        for part in payloads.split(payload, MAX_JOBS_PER_REQUEST):
            try:
                receipt = await asyncio.to_thread(send_lineage, target.url, part.body, part.idempotency_key, token)
            except HttpProblem as exc:
                _raise_for(exc, target.url)
            outcome.requests += 1
            if receipt.get("replayed"):   # the same content sent before: all of it is known
                receipt = {"known": _added(receipt.get("new") or {}, receipt.get("known") or {}),
                           "artifact_urls": receipt.get("artifact_urls")}
            for side in ("new", "known"):
                for k, v in (receipt.get(side) or {}).items():
                    getattr(outcome, side)[k] = getattr(outcome, side).get(k, 0) + int(v)
            if target.web_url_is_default:   # the server knows its public address best
                for links, answered in ((outcome.artifact_urls, receipt.get("artifact_urls")),
                                        (outcome.session_urls, receipt.get("session_urls"))):
                    links.update({h: u for h, u in (answered or {}).items() if h in links})
        await self.queue.server_is_back(target.url)
        self.bus.publish("registration.delivered", state="delivered", workspace=str(ws.root), message=f"{selection.kind} {ref}")
        outcome.checklist = await asyncio.to_thread(checklist.evaluate, selection.jobs, True) \
            if selection.jobs else []
        return outcome

    # --- the queue -----------------------------------------------------------------------------

    async def _auto(self, workspace: str, job_uid: str) -> None:
        try:
            ws = self.workspaces.get(workspace)
            config = await asyncio.to_thread(effective_config, ws.paths.config)
            job = await ws.store.get_job(job_uid, with_decisions=False)
            if config["registration.auto"]:
                # Remembered now, so a daemon killed before the job is queued leaves it to the
                # next daemon's catch-up.
                store = await self.queue.store()
                await asyncio.to_thread(store.auto_since, str(ws.root), job.ended_at)
            elif not (config["glaas.url"] and job.kind == "put"):   # a put is registered when a server is set
                return
            await self.wait_quiet()
            await self.enqueue_job(ws, job_uid)
        except Exception:
            log.exception("could not queue job %s of %s for registration", job_uid, workspace)

    async def enqueue_job(self, ws: Workspace, job_uid: str) -> int | None:
        """Queue ``job_uid``'s lineage, less the jobs this workspace queued before (they are
        ahead of it in the queue). Returns the item id, None when nothing was left to send."""
        async with self._enqueuing:
            return await self._enqueue_job(ws, job_uid)

    async def _enqueue_job(self, ws: Workspace, job_uid: str) -> int | None:
        target = await self._target(ws)
        store = await self.queue.store()
        job = await ws.store.get_job(job_uid, with_decisions=False)
        await asyncio.to_thread(store.auto_since, str(ws.root), job.ended_at)
        done = await asyncio.to_thread(store.queued_jobs, str(ws.root))
        if await _sources_queued(ws.store, job, done):   # the usual case: no walk of the whole store
            selection = targets.Selection("job", job.uid, [job], artifacts=[o.hash for o in job.outputs if o.hash])
        else:
            selection = await targets.job_selection(ws.store, job, job.uid)
        selection.jobs = [j for j in selection.jobs if j.uid not in done]
        if not selection.jobs:
            return None
        payload = await self._payload(ws, selection, target, {})
        item_id, _ = await self.queue.enqueue(payload.idempotency_key, target.url, str(ws.root),
                                              f"{job.ref} {job.uid[:8]}", payload.body,
                                              [j.uid for j in selection.jobs])
        return item_id

    async def _catch_up(self) -> None:
        store = await self.queue.store()
        for root in self.workspaces.known_roots():
            try:
                config_file = WorkspacePaths(root).config
                if not config_file.exists():
                    continue
                config = await asyncio.to_thread(effective_config, config_file)
                if not config["registration.auto"]:
                    continue    # without opening the workspace
                ws = self.workspaces.get(str(root))
                # First seen on here: since the config last changed (when auto was turned on, or later).
                since = await asyncio.to_thread(store.auto_since, str(ws.root), config_file.stat().st_mtime)
                done = await asyncio.to_thread(store.queued_jobs, str(ws.root))
                for job in await ws.store.list_jobs("*"):
                    if job.ended_at >= since and job.uid not in done:
                        await self.enqueue_job(ws, job.uid)
                        done = await asyncio.to_thread(store.queued_jobs, str(ws.root))
            except Exception as exc:   # one broken workspace must not stop the others
                log.warning("registration catch-up skipped %s: %s", root, exc)

    async def queue_items(self, states: tuple[str, ...]) -> tuple[list[QueueItem], dict[str, int]]:
        self.start()
        return await self.queue.items(states), await self.queue.counts()

    async def retry_failed(self) -> int:
        self.start()
        return await self.queue.retry_failed()

    async def drop(self, item_id: int) -> QueueItem:
        if not 0 < item_id < 2**63:   # SQLite's INTEGER holds no more
            raise InvalidArgument("a queue item id is a positive number (see `roarctl register --queue`)")
        return await self.queue.drop(item_id)

    # --- lineage only the server knows ----------------------------------------------------------

    async def import_lineage(self, cwd: str, ref: str) -> tuple[Workspace, str]:
        """Fetch the reproduction DAG of artifact ``ref`` from the configured server into the
        workspace at ``cwd`` (as a session of its own); returns the workspace and the server."""
        try:
            ws = self._workspace(cwd)
            target = await self._target(ws)
        except FailedPrecondition:
            raise NotFound(f"none of your workspaces recorded {ref!r} (and no GLaaS server is set here to "
                           "ask: `roarctl config set glaas.url URL` in a workspace)") from None
        http = GlaasHttp(target.url, target.login.token if target.login else "")
        try:
            graph = await asyncio.to_thread(http.request, "GET", remote.LINEAGE_PATH.format(ref=ref.strip().lower()))
        except Rejected as exc:
            if exc.status == 404:
                raise NotFound(f"none of your workspaces recorded {ref!r}, and {target.url} does not know it "
                               "either") from None
            _raise_for(exc, target.url)
        except HttpProblem as exc:
            _raise_for(exc, target.url)
        jobs = [remote.remote_job(j) for j in (graph or {}).get("jobs", [])]
        if not jobs:
            raise NotFound(f"{target.url} knows {ref!r} but no job that produced it; there is nothing to reproduce")
        added = await remote.import_jobs(ws.store, jobs)
        log.info("imported %d job(s) of %s from %s", added, ref, target.url)
        return ws, target.url

    # --- login ---------------------------------------------------------------------------------

    async def _optional_workspace(self, cwd: str) -> Workspace | None:
        try:
            return self.workspaces.get(cwd)
        except (FailedPrecondition, InvalidArgument):
            return None

    async def login(self, cwd: str, server: str, emit: Callable[[DevicePrompt], None]) -> Identity:
        """The device flow: ask for a code, show it (``emit``), poll until the user approved it
        in the web UI, store the token 0600. Cancelling the call stops the polling."""
        target = await self._target(await self._optional_workspace(cwd), server)
        http = GlaasHttp(target.url)
        try:
            start = await asyncio.to_thread(http.request, "POST", DEVICE_START,
                                            {"client_id": "roarctl", "scope": "read write"}, None, False)
        except HttpProblem as exc:
            _raise_for(exc, target.url)
        uri = start.get("verification_uri") or f"{target.web_url}/device"
        emit(DevicePrompt(target.url, uri, start.get("verification_uri_complete") or "",
                          str(start["user_code"]), int(start.get("expires_in") or 900)))
        interval = float(start.get("interval") or 5)
        deadline = time.monotonic() + float(start.get("expires_in") or 900)
        body = {"device_code": start["device_code"], "grant_type": DEVICE_GRANT, "client_id": "roarctl"}
        while True:
            await asyncio.sleep(interval)
            try:
                token = await asyncio.to_thread(http.request, "POST", DEVICE_TOKEN, body, None, False)
                break
            except Rejected as exc:
                if exc.code == "authorization_pending":
                    pass
                elif exc.code == "slow_down":
                    interval += 5
                elif exc.code == "access_denied":
                    raise FailedPrecondition("the login was denied in the web UI") from None
                elif exc.code == "expired_token":
                    raise FailedPrecondition("the code expired before it was approved; run `roarctl login` again") from None
                else:
                    raise FailedPrecondition(_reason(exc, target.url)) from None
            except (Unreachable, Retryable):
                pass   # keep polling until the code expires
            if time.monotonic() > deadline:
                raise FailedPrecondition("the code expired before it was approved; run `roarctl login` again")
        expires_in = float(token.get("expires_in") or 0)
        login = Login(server=target.url, token=str(token["access_token"]),
                      scopes=str(token.get("scope") or "").split(),
                      expires_at=time.time() + expires_in if expires_in else 0.0)
        me = await self._whoami_remote(login)
        login = Login(login.server, login.token, me.get("user") or me.get("name") or "",
                      login.scopes or list(me.get("scopes") or []), login.expires_at)
        await asyncio.to_thread(save_login, login)
        await self.queue.server_is_back(target.url)
        return await self.whoami(cwd, server)

    async def _whoami_remote(self, login: Login) -> dict[str, Any]:
        try:
            me = await asyncio.to_thread(GlaasHttp(login.server, login.token).request, "GET", WHOAMI)
        except HttpProblem as exc:
            _raise_for(exc, login.server)
        me = me if isinstance(me, dict) else {}
        user = me.get("user")
        if isinstance(user, dict):   # {"user": {"name": ...}, ...}
            me = {**me, "user": user.get("name", "")}
        return me

    async def whoami(self, cwd: str, server: str = "") -> Identity:
        """Who this user is on the server (asked of the server when logged in)."""
        target = await self._target(await self._optional_workspace(cwd), server)
        login = target.login
        if login is None:
            return Identity(target.url, "", [], 0.0, False, target.scope)
        me = await self._whoami_remote(login)
        return Identity(target.url, str(me.get("user") or login.user),
                        list(me.get("scopes") or login.scopes), float(me.get("expires_at") or login.expires_at),
                        True, target.scope)

    async def logout(self, cwd: str, server: str = "") -> tuple[str, bool]:
        target = await self._target(await self._optional_workspace(cwd), server)
        return target.url, await asyncio.to_thread(forget_login, target.url)


async def _sources_queued(store: JobStore, job: JobRecord, done: set[str]) -> bool:
    """Every job that wrote something ``job`` read is queued already (so its lineage is ahead
    of it in the queue and only ``job`` itself is left to send)."""
    for entry in job.inputs:
        if entry.hash:
            writers = {r["job_uid"] for r in await store.files_with_hash(entry.hash) if r["role"] == "out"}
            if writers - done - {job.uid}:
                return False
    return True


def _added(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: int(a.get(k, 0)) + int(b.get(k, 0)) for k in {*a, *b}}


async def _composite_rows(store: JobStore, uids: list[str]) -> list[payloads.CompositeRow]:
    if not uids:
        return []
    db = await store.db()
    rows: list[payloads.CompositeRow] = []
    for i in range(0, len(uids), 500):
        chunk = uids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        async with db.execute(f"SELECT * FROM composites WHERE job_uid IN ({marks})", chunk) as cur:
            rows += [payloads.CompositeRow(r["job_uid"], r["role"], r["hash"], r["path"], r["member"],
                                           r["member_hash"], r["member_size"]) async for r in cur]
    return rows


async def _label_rows(store: JobStore) -> list[payloads.LabelRow]:
    """The latest label document of every entity (build keeps those it sends)."""
    db = await store.db()
    async with db.execute("SELECT l.kind, l.entity, l.doc FROM labels l JOIN (SELECT kind, entity, "
                          "MAX(version) AS v FROM labels GROUP BY kind, entity) m ON m.kind = l.kind "
                          "AND m.entity = l.entity AND m.v = l.version") as cur:
        return [payloads.LabelRow(r["kind"], r["entity"], json.loads(r["doc"])) async for r in cur]
