"""Package and protocol versions.

The protocol major changes when an old client cannot talk to a new daemon (or the reverse);
the minor changes when something was added that old peers simply do not use.
"""
VERSION = "0.1.0"
PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 1   # 1: TransferService, ReproductionService, LineageService.ExportLineage


def build_id() -> str:
    """Identifies the installed code: a digest of (path, size, mtime) of roar's own modules and
    native tracers. A daemon started before an upgrade (or an edit, in a development checkout)
    reports a different one than a fresh roarctl, which then says to restart it."""
    import hashlib
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.blake2b(digest_size=8)
    for package in ("roar_api", "roard", "roarctl"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, package)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".so")) or "/_native" in dirpath:
                    st = os.stat(os.path.join(dirpath, name))
                    digest.update(f"{dirpath[len(root):]}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()
