"""The Flask side of credentials: signing keys and issuer from the configuration, PDFs after issuance."""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from lms.credentials.claims import CertificateClaims, Issuer
from lms.credentials.keys import KeyStore
from lms.credentials.models import Certificate
from lms.credentials.services import IssuingContext, store_pdf, stored_pdf, verify_link
from lms.storage import storage


def keystore() -> KeyStore:
    return KeyStore(Path(current_app.config["SIGNING_KEYS_DIR"]))


def issuing_context() -> IssuingContext:
    config = current_app.config
    return IssuingContext(
        issuer=Issuer(name=config["ISSUER_NAME"], url=config["PUBLIC_URL"].rstrip("/"), email=config["ISSUER_EMAIL"]),
        keys=keystore(), public_url=config["PUBLIC_URL"].rstrip("/"),
        recertification_grace_days=config["RECERTIFICATION_GRACE_DAYS"],
    )


def certificate_pdf_path(session: Session, certificate: Certificate) -> Path:
    """The stored PDF, rendered and stored first if it is missing (e.g. rendering failed at issuance)."""
    from lms.credentials.pdf import render_certificate_pdf  # WeasyPrint is heavy: load it only when a PDF is made

    store = storage()
    path = stored_pdf(certificate, store)
    if path is None:
        link = verify_link(current_app.config["PUBLIC_URL"], certificate)
        pdf = render_certificate_pdf(CertificateClaims.from_json(certificate.claims), link, Path(current_app.static_folder))
        store_pdf(session, certificate, pdf, store)
        session.commit()
        path = stored_pdf(certificate, store)
    return path


def prepare_pdf_quietly(session: Session, certificate: Certificate) -> None:
    """Render the PDF right after issuance; a failure is logged and retried at the first download."""
    try:
        certificate_pdf_path(session, certificate)
    except Exception:  # the certificate is issued and committed; only its PDF is late
        session.rollback()
        current_app.logger.exception("could not render the PDF of certificate %s", certificate.code)
