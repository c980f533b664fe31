"""File storage behind one small interface (instance folder by default), so app servers stay stateless."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app


class FileStorage:
    """Keys are relative POSIX paths like 'course-assets/livestream-selling/a.png'."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key outside the store: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename: a reader never sees half a file
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path:
        return self._path(key)


def storage() -> FileStorage:
    root = current_app.config.get("STORAGE_PATH") or Path(current_app.instance_path) / "files"
    return FileStorage(Path(root))
