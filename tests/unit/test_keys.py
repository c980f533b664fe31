"""The signing key store: creation, rotation, public keys and the JWK Set."""
import base64
import re
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization

from lms.credentials.keys import KeyStore, NoSigningKey


def test_create_makes_one_active_key(tmp_path):
    store = KeyStore(tmp_path / "keys")
    kid = store.create()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[0-9a-f]{6}", kid)
    assert store.active()[0] == kid
    assert list(store.public_keys()) == [kid]


def test_create_is_idempotent(tmp_path):
    store = KeyStore(tmp_path)
    assert store.create() == store.create()
    assert len(list(tmp_path.glob("*.pem"))) == 1


def test_key_file_is_a_private_pkcs8_pem(tmp_path):
    kid = KeyStore(tmp_path).create()
    path = tmp_path / f"{kid}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_active_without_any_key_raises_no_signing_key(tmp_path):
    with pytest.raises(NoSigningKey, match="keys create"):
        KeyStore(tmp_path / "missing").active()


def test_active_key_file_missing_raises_no_signing_key(tmp_path):
    store = KeyStore(tmp_path)
    kid = store.create()
    (tmp_path / f"{kid}.pem").unlink()
    with pytest.raises(NoSigningKey, match=kid):
        store.active()


def test_rotate_activates_a_new_key_and_keeps_the_old_one(tmp_path):
    store = KeyStore(tmp_path)
    old = store.create()
    new = store.rotate()
    assert new != old
    assert store.active()[0] == new
    assert set(store.public_keys()) == {old, new}
    assert {(kid, active) for kid, active, _ in store.list()} == {(old, False), (new, True)}


def test_create_after_rotate_keeps_the_rotated_key(tmp_path):
    store = KeyStore(tmp_path)
    store.create()
    new = store.rotate()
    assert store.create() == new


def test_list_gives_iso_creation_times(tmp_path):
    store = KeyStore(tmp_path)
    store.create()
    ((_, _, created),) = store.list()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", created)


def test_jwks_publishes_every_public_key_as_an_okp_jwk(tmp_path):
    store = KeyStore(tmp_path)
    store.create()
    store.rotate()
    jwks = store.jwks()
    assert len(jwks["keys"]) == 2
    for jwk in jwks["keys"]:
        assert {k: jwk[k] for k in ("kty", "crv", "use", "alg")} == {"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA"}
        assert "=" not in jwk["x"]
        raw = store.public_keys()[jwk["kid"]].public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert base64.urlsafe_b64decode(jwk["x"] + "=") == raw


def test_jwks_holds_no_private_material(tmp_path):
    store = KeyStore(tmp_path)
    store.create()
    assert all(set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"} for jwk in store.jwks()["keys"])


def test_racing_create_adopts_the_winners_key(tmp_path, monkeypatch):
    winner = KeyStore(tmp_path).create()
    loser = KeyStore(tmp_path)
    seen = iter([None])  # the loser looked before the winner published its key
    real = loser._active_kid
    monkeypatch.setattr(loser, "_active_kid", lambda: next(seen, None) or real())
    assert loser.create() == winner
    assert [path.stem for path in tmp_path.glob("*.pem")] == [winner]


def test_concurrent_creates_agree_on_one_key(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(lambda _: KeyStore(tmp_path).create(), range(16)))
    assert len(kids) == 1
    assert KeyStore(tmp_path).active()[0] in kids
    assert [path.stem for path in tmp_path.glob("*.pem")] == list(kids)


def test_active_file_naming_a_path_is_ignored(tmp_path):
    (tmp_path / "active").write_text("../../etc/passwd\n")
    with pytest.raises(NoSigningKey):
        KeyStore(tmp_path).active()
