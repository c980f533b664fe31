"""gzip where it is safe: static files and JSON answers shrink for phones; HTML pages are never compressed (BREACH)."""
import gzip
import json
import zlib

from lms.api.signing import HEADER, verify_response
from tests.web.test_platform_api import auth, certify, platform, public_keys  # noqa: F401  (fixture)

GZIP = {"Accept-Encoding": "gzip"}
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium sends


def test_the_stylesheet_and_scripts_travel_compressed_and_arrive_intact(client):
    plain = client.get("/static/css/app.css").data
    packed = client.get("/static/css/app.css", headers=BROWSER)
    assert packed.headers["Content-Encoding"] == "deflate" and "Accept-Encoding" in packed.headers["Vary"]
    assert zlib.decompress(packed.data) == plain and len(packed.data) < len(plain) / 2
    script = client.get("/static/js/offline.js", headers=BROWSER)
    assert script.headers["Content-Encoding"] == "deflate" and zlib.decompress(script.data) == client.get("/static/js/offline.js").data


def test_a_gzipped_api_answer_still_carries_a_signature_over_the_json(app, client, platform):  # noqa: F811
    certify(app, platform)  # a certificate with its links: an answer big enough to be worth compressing (> 500 bytes)
    response = client.get(f"/api/v1/sellers/{platform['seller_code']}/onboarding", headers={**auth(platform["token"]), **GZIP})
    assert response.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(response.data)
    assert json.loads(body)["seller_code"] == platform["seller_code"]
    assert verify_response(body, response.headers[HEADER], public_keys(app))
    again = client.get(f"/api/v1/sellers/{platform['seller_code']}/onboarding",
                       headers={**auth(platform["token"]), **GZIP, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    document = client.get("/api/openapi.json", headers=GZIP)
    assert document.headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(document.data))["openapi"].startswith("3.1")


def test_pages_are_never_compressed_because_they_hold_a_csrf_token(client):
    page = client.get("/login?next=%2Fdashboard", headers=GZIP)
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
    assert b"csrf_token" in page.data or b"<form" in page.data
