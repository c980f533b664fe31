"""Ed25519 signing keys in a private folder: one PKCS8 PEM file per key, and a file naming the active one.

Old keys are never deleted, so certificates signed before a rotation keep verifying.
A key's creation time is its file's modification time (key files are never rewritten):
keep modification times when backing the folder up (`cp -p`, `tar`, `rsync -a`).
"""
from __future__ import annotations

import base64
import os
import re
import secrets
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ACTIVE_FILE = "active"
# a kid names a file and travels in token headers: keep it short and harmless in a path
KID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


class NoSigningKey(Exception):
    """No usable active signing key: run `flask lms keys create`."""


class KeyStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def create(self) -> str:
        """Create the first key unless one is active; return the active kid. Idempotent.

        Two processes racing here both write a key, but only one can link the `active` file:
        the other removes its key and adopts the winner's.
        """
        current = self._active_kid()
        if current is not None:
            return current
        kid = self._write_new_key()
        if self._publish_active(kid, exclusive=True):
            return kid
        (self.folder / f"{kid}.pem").unlink(missing_ok=True)
        winner = self._active_kid()
        if winner is None:
            raise NoSigningKey(f"{self.folder / ACTIVE_FILE} is unreadable")
        return winner

    def rotate(self) -> str:
        """Make a new key the active one; older keys stay for verification. Returns the new kid."""
        kid = self._write_new_key()
        self._publish_active(kid, exclusive=False)
        return kid

    def active(self) -> tuple[str, Ed25519PrivateKey]:
        kid = self._active_kid()
        if kid is None:
            raise NoSigningKey(f"no active signing key in {self.folder}: run `flask lms keys create`")
        try:
            key = _load_key(self.folder / f"{kid}.pem")
        except (OSError, ValueError, TypeError) as error:
            raise NoSigningKey(f"active key {kid} in {self.folder} cannot be read: {error}") from error
        if not isinstance(key, Ed25519PrivateKey):
            raise NoSigningKey(f"active key {kid} in {self.folder} is not an Ed25519 key")
        return kid, key

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every key's public half, old ones included, by kid."""
        keys: dict[str, Ed25519PublicKey] = {}
        for path in self._key_files():
            try:
                key = _load_key(path)
            except (OSError, ValueError, TypeError):
                continue  # e.g. a file still being written by a concurrent create()
            if isinstance(key, Ed25519PrivateKey):
                keys[path.stem] = key.public_key()
        return keys

    def jwks(self) -> dict:
        """The public keys as a JWK Set (RFC 8037 OKP keys), for anyone verifying offline."""
        return {"keys": [_jwk(kid, key) for kid, key in self.public_keys().items()]}

    def list(self) -> list[tuple[str, bool, str]]:
        """(kid, is_active, created_at ISO 8601 UTC) for every key, oldest first."""
        active = self._active_kid()
        rows = []
        for path in self._key_files():
            created = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
            rows.append((path.stem, path.stem == active, created))
        return sorted(rows, key=lambda row: (row[2], row[0]))

    def _key_files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(path for path in self.folder.glob("*.pem") if KID_PATTERN.fullmatch(path.stem))

    def _active_kid(self) -> str | None:
        try:
            kid = (self.folder / ACTIVE_FILE).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return kid if KID_PATTERN.fullmatch(kid) else None

    def _write_new_key(self) -> str:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        kid = new_kid()
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # O_EXCL: never overwrite a key, even if two kids ever collided
        fd = os.open(self.folder / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        return kid

    def _publish_active(self, kid: str, *, exclusive: bool) -> bool:
        """Point `active` at kid atomically: readers see the old or the new kid, never a half-written file.

        exclusive: only if there is no active file yet (a hard link fails if the name exists).
        """
        temporary = self.folder / f".{ACTIVE_FILE}.{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(kid + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            if exclusive:
                try:
                    os.link(temporary, self.folder / ACTIVE_FILE)
                except FileExistsError:
                    return False
            else:
                os.replace(temporary, self.folder / ACTIVE_FILE)
        finally:
            temporary.unlink(missing_ok=True)
        return True


def _load_key(path: Path):
    """Parse a PEM key once per process (per file version): every API response is signed with it."""
    stat = path.stat()
    return _parse_key(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _parse_key(path: str, mtime_ns: int, size: int):
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def new_kid() -> str:
    """A short unique key id: the creation date and 24 random bits, e.g. "2026-11-03-a1b2c3"."""
    return f"{datetime.now(UTC):%Y-%m-%d}-{secrets.token_hex(3)}"


def _jwk(kid: str, key: Ed25519PublicKey) -> dict:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}
