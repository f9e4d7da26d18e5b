"""What a file held before the run changed it (appended to, edited in place, rewritten after
reading it, removed), once its bytes are gone when the run is finalized.

The sources, most direct first; each is keyed by the identity the tracer saw at the run's first
open of the file (dev, ino, size, mtime: the spool has no ctime):

1. the file was empty then: the empty content;
2. the file is unchanged since (the same identity now: opened for writing, nothing written):
   its current content;
3. the hash cache (every output of a recorded job is hashed through it, so an earlier job's
   output is found there); without the ctime, the newest entry for that identity;
4. git, for a tracked file that was clean: its index entry's stat data matches the identity
   (the index then names the blob), or the whole tree was clean when the run began (the blob at
   HEAD); the blob, with the work tree's filters applied, must have the size the tracer saw.

None of them knows: the caller records an input whose prior content is unknown, visibly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import blake3

from roard.capture.git import IndexEntry, blob_content_hash, index_entries
from roard.finalize.classify import PathState
from roard.hashing import HashBatch

EMPTY = blake3.blake3(b"").hexdigest()


@dataclass
class PriorContent:
    batch: HashBatch
    repo_root: str = ""
    tree_clean: bool = False       # no tracked file differed from HEAD when the run began
    index: dict[str, IndexEntry] = field(default_factory=dict)

    @classmethod
    def prepare(cls, batch: HashBatch, repo_root: str, tree_clean: bool, states: list[PathState]) -> "PriorContent":
        """Ask git's index once about every file whose earlier content may be needed."""
        prior = cls(batch, repo_root, tree_clean)
        rel = [r for r in (prior._relative(st.key) for st in states) if r]
        prior.index = index_entries(repo_root, rel)
        return prior

    def _relative(self, key: str) -> str:
        root = self.repo_root.rstrip("/") + "/"
        return key[len(root):] if self.repo_root and key.startswith(root) else ""

    def hash_before(self, st: PathState) -> str:
        """The BLAKE3 of ``st``'s content at the run's first open of it, or "" when unknown."""
        if st.read_identity is None:
            return ""
        dev, ino, size, mtime = st.read_identity
        if size == 0:
            return EMPTY
        now = self.batch.stats.get(st.key)
        if now is not None and (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == st.read_identity:
            digest = self.batch.hash(st.key).hash
            if digest:
                return digest
        digest = self.batch.cache.get_without_ctime(dev, ino, size, mtime)
        if digest:
            return digest
        return self._from_git(st.key, ino, size, mtime)

    def _from_git(self, key: str, ino: int, size: int, mtime: int) -> str:
        rel = self._relative(key)
        if not rel:
            return ""
        if rel not in self.index:  # not asked in prepare (an input that changed during the run)
            self.index.update(index_entries(self.repo_root, [rel]))
        entry = self.index.get(rel)
        if entry and entry.size == size and entry.mtime_ns == mtime and entry.ino in (0, ino & 0xFFFFFFFF):
            return blob_content_hash(self.repo_root, rel, entry.blob, size)
        if self.tree_clean and entry is not None:
            return blob_content_hash(self.repo_root, rel, f"HEAD:{rel}", size)
        return ""

