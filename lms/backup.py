"""Backups: the database, the signing keys and the stored files in one .tar.gz with a manifest, and restores.

Layout of an archive:

    database/lms.sqlite3 | database/lms.pgdump   online SQLite copy, or pg_dump custom format
    keys/...                                     the Ed25519 signing keys (private: keep the archive safe)
    files/...                                    stored files (course assets, certificate PDFs)
    manifest.json                                format, engine, schema revision, row counts, sha256 of each member

The row counts and the dump come from one snapshot, so the manifest describes exactly what was saved.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine, URL

from lms import migrate
from lms.db import utcnow
from lms.models import Base

FORMAT = "ocop-seller-academy-backup/1"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/lms.sqlite3", "postgresql": "database/lms.pgdump"}
KEYS, FILES = "keys", "files"
# a stopped pg_restore beats one queued forever behind an app server's open transaction
PG_LOCK_TIMEOUT = "-c lock_timeout=30s"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Locations:
    """Where the instance files that belong in a backup live."""

    keys_dir: Path
    files_dir: Path


@dataclass(frozen=True)
class Manifest:
    engine: str
    revision: str | None
    created_at: str
    tables: dict[str, int]
    files: dict[str, str]  # archive member -> sha256
    format: str = FORMAT

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def count(self, folder: str) -> int:
        return sum(1 for name in self.files if name.startswith(folder + "/"))

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            return cls(engine=raw["engine"], revision=raw["revision"], created_at=raw["created_at"],
                       tables={str(k): int(v) for k, v in raw["tables"].items()},
                       files={str(k): str(v) for k, v in raw["files"].items()}, format=raw["format"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"the manifest cannot be read: {error}") from error


# --- reading a database ---------------------------------------------------------------------

def table_counts(connection: Connection) -> dict[str, int]:
    """Rows per application table (tables that do not exist yet are left out)."""
    existing = set(inspect(connection).get_table_names())
    return {table.name: connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables if table.name in existing}


def schema_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def database_rows(engine: Engine) -> int:
    """How many rows the application tables hold (0 for an empty or uninitialised database)."""
    with engine.connect() as connection:
        return sum(table_counts(connection).values())


# --- writing an archive ---------------------------------------------------------------------

class _HashingReader:
    """Hands a file to tarfile while computing its sha256 in the same pass."""

    def __init__(self, handle):
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> str:
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return reader.sha256.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _files_under(root: Path) -> list[tuple[str, Path]]:
    """Regular files below root as (relative POSIX name, path); links and half-written temp files skipped."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name.startswith(".tmp-"):
            continue
        found.append((path.relative_to(root).as_posix(), path))
    return found


def _sqlite_snapshot(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    """Copy the live database with SQLite's online backup API (consistent while others write)."""
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
    finally:
        raw.close()
    reader = create_engine(f"sqlite:///{target}")
    try:
        with reader.connect() as connection:
            return schema_revision(connection), table_counts(connection)
    finally:
        reader.dispose()


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq settings for pg_dump / pg_restore: the password travels in PGPASSWORD, never in argv."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    settings = {"PGHOST": url.host or url.query.get("host"), "PGPORT": url.port, "PGUSER": url.username,
                "PGPASSWORD": url.password, "PGDATABASE": url.database, "PGSSLMODE": url.query.get("sslmode")}
    env.update({key: str(value) for key, value in settings.items() if value})
    return env


def _run_pg(program: str, arguments: list[str], url: URL, extra_env: dict[str, str] | None = None) -> None:
    if shutil.which(program) is None:
        raise BackupError(f"{program} not found: install the PostgreSQL client of the server's major version")
    env = {**_pg_environment(url), **(extra_env or {})}
    result = subprocess.run([program, *arguments], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{program} failed (exit {result.returncode}): {result.stderr.strip()}")


def _pg_snapshot(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump of the app's schema, taken in the same snapshot as the row counts."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as connection:
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        schema = connection.scalar(text("SELECT current_schema()"))
        revision, counts = schema_revision(connection), table_counts(connection)
        # the exported snapshot lives as long as this transaction: dump before leaving the block
        _run_pg("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}",
                            f"--snapshot={snapshot}", f"--file={target}"], engine.url)
        connection.rollback()
    return revision, counts


def create_backup(engine: Engine, target: Path, places: Locations) -> Manifest:
    """Write one archive with the database, the signing keys and the stored files; returns its manifest."""
    dialect = engine.dialect.name
    if dialect not in DATABASE_MEMBERS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {dialect}")
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lms-backup-") as work:
        dump = Path(work) / "database"
        snapshot = _sqlite_snapshot if dialect == "sqlite" else _pg_snapshot
        revision, counts = snapshot(engine, dump)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".backup-", suffix=".tar.gz")
        try:
            os.fchmod(fd, 0o600)  # the archive holds private signing keys
            with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
                hashes = {DATABASE_MEMBERS[dialect]: _add_file(tar, DATABASE_MEMBERS[dialect], dump)}
                for folder, root in ((KEYS, places.keys_dir), (FILES, places.files_dir)):
                    for name, path in _files_under(Path(root)):
                        hashes[f"{folder}/{name}"] = _add_file(tar, f"{folder}/{name}", path)
                manifest = Manifest(engine=dialect, revision=revision, created_at=utcnow().isoformat(timespec="seconds"),
                                    tables=counts, files=hashes)
                _add_bytes(tar, MANIFEST, manifest.to_json())
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return manifest


# --- restoring ------------------------------------------------------------------------------

def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"unsafe path in the archive: {name!r}")
    if name != MANIFEST and (len(path.parts) < 2 or path.parts[0] not in {"database", KEYS, FILES}):
        raise BackupError(f"unexpected entry in the archive: {name!r}")
    return path


def _unpack(source: Path, staging: Path) -> tuple[Manifest, dict[str, tarfile.TarInfo]]:
    """Extract every member into staging (checking names and sha256s); returns the manifest and the members."""
    hashes: dict[str, str] = {}
    members: dict[str, tarfile.TarInfo] = {}
    try:
        with tarfile.open(source, "r:gz") as tar:
            for info in tar:
                if not info.isfile():
                    raise BackupError(f"unexpected entry in the archive: {info.name!r}")
                destination = staging / _member_path(info.name)
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with tar.extractfile(info) as data, destination.open("wb") as out:
                    for chunk in iter(lambda: data.read(1 << 20), b""):
                        digest.update(chunk)
                        out.write(chunk)
                hashes[info.name], members[info.name] = digest.hexdigest(), info
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"{source} is not a readable backup archive: {error}") from error
    if MANIFEST not in hashes:
        raise BackupError(f"{source} has no {MANIFEST}: not a backup made by `flask lms backup`")
    manifest = Manifest.from_json((staging / MANIFEST).read_bytes())
    del hashes[MANIFEST]
    if hashes != manifest.files:
        damaged = sorted(set(hashes.items()) ^ set(manifest.files.items()))
        raise BackupError(f"the archive does not match its manifest (missing, extra or damaged: {', '.join(sorted({n for n, _ in damaged}))})")
    return manifest, members


def check_manifest(manifest: Manifest, engine: Engine) -> None:
    """Refuse archives of another format, engine or schema revision than this release expects."""
    if manifest.format != FORMAT:
        raise BackupError(f"unknown backup format {manifest.format!r} (this release reads {FORMAT})")
    if manifest.engine != engine.dialect.name:
        raise BackupError(f"this is a {manifest.engine} backup; the configured database is {engine.dialect.name}")
    if DATABASE_MEMBERS[manifest.engine] not in manifest.files:
        raise BackupError("the archive holds no database")
    heads = migrate.heads()
    if manifest.revision not in heads:
        raise BackupError(f"the backup is at schema revision {manifest.revision}, this release expects {', '.join(heads)}: "
                          "restore it with the release that made it, then upgrade with `flask lms init`")


def _sqlite_restore(engine: Engine, dump: Path) -> None:
    """Copy the saved database over the live one with the backup API (same file, same WAL, no rename)."""
    engine.dispose()
    source = sqlite3.connect(dump)
    try:
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
    finally:
        source.close()
        engine.dispose()


def _pg_restore(engine: Engine, dump: Path) -> None:
    """pg_restore in one transaction: the tables of the dump are dropped and recreated, or nothing changes."""
    engine.dispose()
    _run_pg("pg_restore", ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                           "--exit-on-error", f"--dbname={engine.url.database}", str(dump)],
            engine.url, {"PGOPTIONS": PG_LOCK_TIMEOUT})
    engine.dispose()


def _put_files(staging: Path, members: dict[str, tarfile.TarInfo], folder: str, root: Path) -> None:
    """Write the archive's files under root, keeping their modification times (a key's creation time)."""
    for name, info in members.items():
        path = PurePosixPath(name)
        if path.parts[0] != folder:
            continue
        destination = root.joinpath(*path.parts[1:])
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=destination.parent, prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(staging / name, partial)
        os.chmod(partial, 0o600 if folder == KEYS else 0o644)
        os.utime(partial, (info.mtime, info.mtime))
        os.replace(partial, destination)


def restore_backup(engine: Engine, source: Path, places: Locations, force: bool = False) -> Manifest:
    """Restore an archive into the configured database and instance folders; returns its manifest.

    Refuses a damaged archive, another engine or schema revision, and a database that holds rows
    (unless force). Signing keys and files of the archive are added, replacing files of the same name;
    other files already there are kept (keys are never deleted).
    """
    with tempfile.TemporaryDirectory(prefix="lms-restore-") as work:
        staging = Path(work)
        manifest, members = _unpack(Path(source), staging)
        check_manifest(manifest, engine)
        rows = database_rows(engine)
        if rows and not force:
            raise BackupError(f"the database is not empty ({rows} rows): restoring would replace them; add --force to do so")
        dump = staging / DATABASE_MEMBERS[manifest.engine]
        (_sqlite_restore if manifest.engine == "sqlite" else _pg_restore)(engine, dump)
        with engine.connect() as connection:
            restored = table_counts(connection)
        if restored != manifest.tables:
            different = sorted(n for n in set(restored) | set(manifest.tables) if restored.get(n) != manifest.tables.get(n))
            raise BackupError(f"the restored database does not hold the rows of the manifest (tables: {', '.join(different)})")
        _put_files(staging, members, KEYS, Path(places.keys_dir))
        _put_files(staging, members, FILES, Path(places.files_dir))
    return manifest
