"""What kind of file an artifact is, from its name: the one table of extensions -> types."""
from __future__ import annotations

import posixpath

TYPES = {
    ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".arrow": "arrow", ".feather": "arrow",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml",
    ".txt": "text", ".md": "text", ".log": "text",
    ".pt": "pytorch", ".pth": "pytorch", ".ckpt": "checkpoint", ".safetensors": "safetensors",
    ".onnx": "onnx", ".h5": "hdf5", ".hdf5": "hdf5", ".keras": "keras", ".pb": "protobuf",
    ".pkl": "pickle", ".pickle": "pickle", ".joblib": "joblib", ".npy": "numpy", ".npz": "numpy",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
    ".wav": "audio", ".mp3": "audio", ".flac": "audio", ".mp4": "video",
    ".py": "python", ".sh": "shell", ".ipynb": "notebook", ".sqlite": "sqlite", ".db": "sqlite",
    ".tar": "archive", ".gz": "archive", ".zip": "archive", ".tgz": "archive", ".zst": "archive",
    ".tfrecord": "tfrecord", ".lance": "lance", ".bin": "binary",
}


def extension(path: str | None) -> str | None:
    if not path:
        return None
    ext = posixpath.splitext(posixpath.basename(path.rstrip("/")))[1].lower()
    return ext[:32] or None


def detect(path: str | None) -> str | None:
    return TYPES.get(extension(path) or "")
