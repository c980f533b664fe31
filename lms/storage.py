"""File storage behind one small interface (instance folder by default), so app servers stay stateless."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime
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

    def delete(self, key: str) -> bool:
        """Remove a stored file; False if it was not there (another host may have removed it a moment ago)."""
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def list_older_than(self, prefix: str, moment: datetime) -> list[str]:
        """Keys under the folder `prefix` last written before `moment` (half-written temporary files included)."""
        folder = self._path(prefix)
        if not folder.is_dir():
            return []
        cutoff, keys = moment.timestamp(), []
        for path in folder.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    keys.append(path.relative_to(self.root).as_posix())
            except FileNotFoundError:  # removed while we looked
                continue
        return sorted(keys)


def storage() -> FileStorage:
    root = current_app.config.get("STORAGE_PATH") or Path(current_app.instance_path) / "files"
    return FileStorage(Path(root))
