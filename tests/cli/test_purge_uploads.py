"""`flask lms purge-uploads`: roster CSV files previewed but never applied do not stay past a day."""
import os
import time

from lms.cohorts.uploads import upload_key
from lms.storage import storage


def stored(app, digest: str, hours_ago: float) -> str:
    with app.app_context():
        store = storage()
        key = upload_key(digest)
        store.put(key, "Trần Thị Bình;0912000002;;Đắk Lắk".encode())
        moment = time.time() - hours_ago * 3600
        os.utime(store.local_path(key), (moment, moment))
        return key


def exists(app, key: str) -> bool:
    with app.app_context():
        return storage().exists(key)


def test_purge_uploads_deletes_what_is_older_than_a_day(runner, app):
    old, fresh = stored(app, "a" * 64, 30), stored(app, "b" * 64, 2)
    result = runner.invoke(args=["lms", "purge-uploads"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 roster upload(s) older than 24 hours." in result.output
    assert not exists(app, old) and exists(app, fresh)


def test_purge_uploads_takes_a_shorter_age(runner, app):
    fresh = stored(app, "b" * 64, 2)
    assert runner.invoke(args=["lms", "purge-uploads", "--older-than-hours", "3"]).exit_code == 0
    assert exists(app, fresh)
    result = runner.invoke(args=["lms", "purge-uploads", "--older-than-hours", "1"])
    assert result.exit_code == 0 and not exists(app, fresh)
    assert runner.invoke(args=["lms", "purge-uploads", "--older-than-hours", "0"]).exit_code != 0
