"""Rate limits hold across gunicorn workers when they are counted in Redis (LMS_RATELIMIT_STORAGE_URL)."""
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from lms.db import make_engine
from tests.conftest import wipe

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.fixture
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: `apt-get install -y redis-server` (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    wait_for(port)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def test_login_limit_is_shared_by_two_workers(redis_url, database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "LMS_DATABASE_URL": database_url, "LMS_INSTANCE_PATH": str(tmp_path), "LMS_SECRET_KEY": "shared-secret",
           "LMS_RATELIMIT_STORAGE_URL": redis_url, "LMS_LOGIN_RATE_LIMIT": "5 per minute"}
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        statuses = []
        for _ in range(12):
            # a new connection and a new visitor each time, so both workers take turns
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            form = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
            body = urllib.parse.urlencode({"csrf_token": token, "login": "nobody@example.com", "password": "wrong-password-1"}).encode()
            try:
                statuses.append(opener.open(f"http://127.0.0.1:{port}/login", data=body).status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        assert statuses.count(200) == 5 and statuses.count(429) == 7, statuses
    finally:
        gunicorn.terminate()
        gunicorn.wait(10)
        engine = make_engine(database_url)
        wipe(engine)  # the failed logins it recorded must not leak into other tests
        engine.dispose()
