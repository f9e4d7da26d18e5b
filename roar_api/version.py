"""Package and protocol versions.

The protocol major changes when an old client cannot talk to a new daemon (or the reverse);
the minor changes when something was added that old peers simply do not use.
"""
VERSION = "0.1.0"
PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 1   # 1: TransferService, ReproductionService, LineageService.ExportLineage


def install_root() -> str:
    """The directory holding the roar_api, roard and roarctl packages of this installation."""
    import os

    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_id() -> str:
    """Identifies the installed code: a digest of (path, size, mtime) of roar's own modules and
    native tracers. A daemon whose installed code no longer has the build id it started with
    (an upgrade, or an edit in a development checkout) tells clients to restart it."""
    import hashlib
    import os

    root = install_root()
    digest = hashlib.blake2b(digest_size=8)
    for package in ("roar_api", "roard", "roarctl"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, package)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".so")) or "/_native" in dirpath:
                    st = os.stat(os.path.join(dirpath, name))
                    digest.update(f"{dirpath[len(root):]}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()
