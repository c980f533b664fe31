"""What a certificate asserts, as plain values: the input of signing, Open Badges and the PDF. Pure."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date


@dataclass(frozen=True)
class Issuer:
    name: str  # e.g. "Trung tâm Xúc tiến Thương mại Nông nghiệp (Agritrade)"
    url: str  # the site's public address, e.g. "https://academy.example.vn"
    email: str = ""


@dataclass(frozen=True)
class CertificateClaims:
    code: str  # canonical form, e.g. "7K3M-9QX2-T8HD-4F6R-X"
    issuer: Issuer
    course_slug: str
    course_title_vi: str
    course_title_en: str
    course_version: int
    holder_name: str  # NFC
    business: str
    province: str  # the province's display name
    issued_on: date  # this certificate's issue date
    awarded_on: date  # the first award (kept through renewals)
    expires_on: date
    status_list: str  # id of the status list, e.g. "1"
    status_index: int  # this certificate's bit in that list
    kid: str  # signing key id

    def to_json(self) -> dict:
        """JSON-able claims (dates as ISO strings), the payload that is signed."""
        data = asdict(self)
        for key in ("issued_on", "awarded_on", "expires_on"):
            data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> CertificateClaims:
        values = dict(data)
        values["issuer"] = Issuer(**values["issuer"])
        for key in ("issued_on", "awarded_on", "expires_on"):
            values[key] = date.fromisoformat(values[key])
        return cls(**values)
