"""Object stores on loopback for the hf:// and gs:// transfer tests, each speaking just enough of
its service's HTTP protocol for the real client library (huggingface_hub's HfFileSystem, gcsfs)
pointed at it with its endpoint option. Neither is the real service: they are stand-ins written
for these tests, because nothing outside this machine can be reached (and fake-gcs-server is not
installable here). What each implements is listed in its class docstring."""
from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import threading
import urllib.parse
from contextlib import contextmanager
from typing import Iterator

Repo = dict[str, dict[str, bytes]]          # revision -> path -> bytes


class _Base(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/json",
              headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, status: int, value: object, head: bool = False) -> None:
        self._send(status, json.dumps(value).encode(), head=head)

    def _file(self, data: bytes, head: bool, headers: dict[str, str]) -> None:
        """A file's bytes, honouring a single ``Range: bytes=a-b``."""
        rng = re.match(r"bytes=(\d*)-(\d*)$", self.headers.get("Range", ""))
        if rng and data:
            start = int(rng.group(1) or 0)
            end = min(int(rng.group(2)) if rng.group(2) else len(data) - 1, len(data) - 1)
            self._send(206, data[start:end + 1], "application/octet-stream",
                       {**headers, "Content-Range": f"bytes {start}-{end}/{len(data)}",
                        "Accept-Ranges": "bytes"}, head)
            return
        self._send(200, data, "application/octet-stream", {**headers, "Accept-Ranges": "bytes"}, head)


# --- Hugging Face Hub ----------------------------------------------------------------------------

_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


class HubHandler(_Base):
    """The Hub routes HfFileSystem and HfApi.upload_file use: repo info
    (``GET /api/{type}s/{id}[/revision/{rev}]``), tree listing (``GET .../tree/{rev}[/{path}]``),
    paths info (``POST .../paths-info/{rev}``), file bytes (``GET|HEAD /{prefix}{id}/resolve/{rev}/{path}``,
    with ranges), pre-upload (``POST .../preupload/{rev}``: every file "regular", i.e. inline) and
    commit (``POST .../commit/{rev}``: NDJSON, base64 file contents). Revisions are branch names."""

    repos: dict[tuple[str, str], Repo] = {}

    def _repo(self, rtype: str, repo_id: str) -> Repo | None:
        return self.repos.get((rtype, repo_id))

    def _sha(self, rtype: str, repo_id: str, rev: str) -> str:
        files = self.repos[(rtype, repo_id)][rev]
        h = hashlib.sha1(repr(sorted((k, hashlib.sha1(v).hexdigest()) for k, v in files.items())).encode())
        return h.hexdigest()

    def _entries(self, files: dict[str, bytes], base: str, recursive: bool) -> list[dict]:
        base = base.strip("/")
        prefix = base + "/" if base else ""
        out: dict[str, dict] = {}
        for path, data in sorted(files.items()):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                d = prefix + "/".join(parts[:depth])
                out.setdefault(d, {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0,
                                   "path": d})
                if not recursive:
                    break
            if recursive or len(parts) == 1:
                out[path] = {"type": "file", "oid": hashlib.sha1(data).hexdigest(), "size": len(data),
                             "path": path}
        return list(out.values())

    def _route(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = urllib.parse.unquote(url.path)
        head = method == "HEAD"
        m = re.match(r"^/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/(revision|tree|paths-info|preupload|commit)"
                     r"/([^/]+)(?:/(.*))?)?$", path)
        if m:
            rtype, repo_id, op, rev, rest = _TYPES[m.group(1)], m.group(2), m.group(3), m.group(4), m.group(5) or ""
            repo = self._repo(rtype, repo_id)
            if repo is None:
                self._send(404, b'{"error": "Repository not found"}', headers={"X-Error-Code": "RepoNotFound"})
                return
            rev = rev or "main"
            if rev not in repo and op != "commit":
                self._send(404, b'{"error": "Invalid rev id"}', headers={"X-Error-Code": "RevisionNotFound"})
                return
            if op in (None, "revision"):
                rev = rev if op else "main"
                self._json(200, {"id": repo_id, "sha": self._sha(rtype, repo_id, rev), "private": False,
                                 "siblings": [{"rfilename": p} for p in sorted(repo[rev])]}, head)
            elif op == "tree":
                recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
                entries = self._entries(repo[rev], rest, recursive)
                if rest and not entries:
                    self._send(404, b'{"error": "not found"}', headers={"X-Error-Code": "EntryNotFound"})
                    return
                self._json(200, entries, head)
            elif op == "paths-info":
                body = self._body()
                form = (json.loads(body) if body.startswith(b"{")
                        else {k: v for k, v in urllib.parse.parse_qs(body.decode()).items()})
                wanted = form.get("paths", [])
                wanted = wanted if isinstance(wanted, list) else [wanted]
                everything = self._entries(repo[rev], "", True)
                self._json(200, [e for e in everything if e["path"] in wanted])
            elif op == "preupload":
                files = json.loads(self._body()).get("files", [])
                self._json(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                           for f in files]})
            elif op == "commit":
                target = repo.setdefault(rev, dict(repo.get("main", {})))
                for line in self._body().splitlines():
                    item = json.loads(line)
                    if item.get("key") == "file":
                        value = item["value"]
                        target[value["path"]] = base64.b64decode(value["content"])
                    elif item.get("key") == "deletedFile":
                        target.pop(item["value"]["path"], None)
                sha = self._sha(rtype, repo_id, rev)
                base = f"http://{self.headers['Host']}/{_PREFIX[rtype]}{repo_id}"
                self._json(200, {"commitUrl": f"{base}/commit/{sha}", "commitOid": sha,
                                 "pullRequestUrl": None})
            return
        m = re.match(r"^/(datasets/|spaces/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
        if m and method in ("GET", "HEAD"):
            rtype = {"datasets/": "dataset", "spaces/": "space"}.get(m.group(1) or "", "model")
            repo = self._repo(rtype, m.group(2)) or {}
            data = repo.get(m.group(3), {}).get(m.group(4))
            if data is None:
                self._send(404, b'{"error": "Entry not found"}', headers={"X-Error-Code": "EntryNotFound"}, head=head)
                return
            etag = hashlib.sha1(data).hexdigest()
            self._file(data, head, {"ETag": f'"{etag}"', "X-Repo-Commit": self._sha(rtype, m.group(2), m.group(3))})
            return
        self._send(404, b'{"error": "no such route"}', head=head)

    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def do_POST(self) -> None:
        self._route("POST")


# --- Google Cloud Storage (JSON API) -------------------------------------------------------------

class GcsHandler(_Base):
    """The JSON API calls gcsfs makes for info, listing, download and small uploads: bucket
    (``GET /storage/v1/b/{b}``), object metadata (``GET /storage/v1/b/{b}/o/{name}``), listing
    (``GET /storage/v1/b/{b}/o?prefix=&delimiter=``), media (``GET /download/storage/v1/b/{b}/o/{name}
    ?alt=media``, with ranges) and uploads (``POST /upload/storage/v1/b/{b}/o?uploadType=media|multipart``).
    No authentication (gcsfs with ``token="anon"``)."""

    buckets: dict[str, dict[str, bytes]] = {}

    def _meta(self, bucket: str, name: str, data: bytes) -> dict:
        return {"kind": "storage#object", "bucket": bucket, "name": name, "size": str(len(data)),
                "id": f"{bucket}/{name}/1", "generation": "1", "metageneration": "1",
                "contentType": "application/octet-stream", "storageClass": "STANDARD",
                "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
                "timeCreated": "2026-01-01T00:00:00.000Z", "updated": "2026-01-01T00:00:00.000Z"}

    def _route(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        head = method == "HEAD"
        m = re.match(r"^(/download|/upload)?/storage/v1/b/([^/]+)(/o(?:/(.*))?)?$", url.path)
        if not m:
            self._json(404, {"error": {"code": 404, "message": "no such route"}}, head)
            return
        kind, bucket, objects, name = m.group(1), m.group(2), m.group(3), m.group(4)
        name = urllib.parse.unquote(name) if name is not None else None
        store = self.buckets.get(bucket)
        if store is None:
            self._json(404, {"error": {"code": 404, "message": "The specified bucket does not exist."}}, head)
            return
        if kind == "/upload" and method == "POST":
            self._upload(bucket, store, query)
            return
        if not objects:
            self._json(200, {"kind": "storage#bucket", "name": bucket, "id": bucket}, head)
            return
        if name:
            data = store.get(name)
            if data is None:
                self._json(404, {"error": {"code": 404, "message": "No such object: " + f"{bucket}/{name}"}}, head)
            elif kind == "/download" or query.get("alt") == "media":
                self._file(data, head, {})
            else:
                self._json(200, self._meta(bucket, name, data), head)
            return
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        items, prefixes = [], set()
        for key in sorted(store):
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
            else:
                items.append(self._meta(bucket, key, store[key]))
        self._json(200, {"kind": "storage#objects", "items": items, "prefixes": sorted(prefixes)}, head)

    def _upload(self, bucket: str, store: dict[str, bytes], query: dict[str, str]) -> None:
        body = self._body()
        upload_type = query.get("uploadType", "media")
        if upload_type == "multipart":
            boundary = re.search(r'boundary="?([^";]+)"?', self.headers.get("Content-Type", "")).group(1)
            parts = [p for p in body.split(b"--" + boundary.encode()) if p.strip() not in (b"", b"--")]
            metadata, data = {}, b""
            for part in parts:  # gcsfs separates with "\n", other clients with "\r\n"
                part = part[2:] if part.startswith(b"\r\n") else part[1:] if part.startswith(b"\n") else part
                at, sep = min((part.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n") if sep in part)
                headers, content = part[:at], part[at + len(sep):]
                content = content[:-2] if content.endswith(b"\r\n") else content[:-1] if content.endswith(b"\n") else content
                if b"application/json" in headers.lower():
                    metadata = json.loads(content)
                else:
                    data = content
            name = metadata.get("name") or query.get("name", "")
        elif upload_type == "media":
            name, data = query.get("name", ""), body
        else:
            self._json(400, {"error": {"code": 400, "message": f"uploadType {upload_type} not supported here"}})
            return
        store[name] = data
        self._json(200, self._meta(bucket, name, data))

    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def do_POST(self) -> None:
        self._route("POST")


@contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Run ``handler`` on a loopback port; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
