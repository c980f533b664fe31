"""The certificate commands: keys, catch-up issuance, stored PDFs and offline verification."""
import re

from sqlalchemy import select

from lms.credentials.models import Certificate
from lms.extensions import db
from tests.web.test_certificate_pages import earn_certificate


def test_keys_create_is_idempotent_and_rotate_keeps_old_keys_published(runner, app, client):
    first = runner.invoke(args=["lms", "keys", "create"])
    again = runner.invoke(args=["lms", "keys", "create"])
    assert first.exit_code == 0 and first.output == again.output
    rotated = runner.invoke(args=["lms", "keys", "rotate"])
    assert rotated.exit_code == 0 and rotated.output != first.output
    listing = runner.invoke(args=["lms", "keys", "list"]).output.splitlines()
    assert len(listing) == 2 and sum(line.startswith("*") for line in listing) == 1
    assert len(client.get("/.well-known/jwks.json").get_json()["keys"]) == 2


def test_issue_certificates_catches_up_and_certificate_pdf_writes_the_stored_file(runner, app, tmp_path):
    code, _ = earn_certificate(app)
    result = runner.invoke(args=["lms", "issue-certificates"])
    assert result.exit_code == 0 and "0 certificate(s) issued" in result.output
    target = tmp_path / "out.pdf"
    result = runner.invoke(args=["lms", "certificate-pdf", code.lower(), str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")
    assert runner.invoke(args=["lms", "certificate-pdf", "0000-0000-0000-0000-0", str(target)]).exit_code != 0


def test_verify_credential_accepts_the_pdf_and_refuses_a_tampered_token(runner, app, tmp_path):
    code, _ = earn_certificate(app)
    pdf = tmp_path / "c.pdf"
    runner.invoke(args=["lms", "certificate-pdf", code, str(pdf)])
    result = runner.invoke(args=["lms", "verify-credential", str(pdf)])
    assert result.exit_code == 0, result.output
    assert code in result.output
    with app.app_context():
        token = db.session.scalar(select(Certificate.jws))
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature])
    result = runner.invoke(args=["lms", "verify-credential", tampered])
    assert result.exit_code == 1
    result = runner.invoke(args=["lms", "verify-credential", "not a credential at all"])
    assert result.exit_code == 1 and re.search(r"\S", result.output)
