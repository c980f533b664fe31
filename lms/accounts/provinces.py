"""The 34 provincial-level units in force since 1 July 2025 (Resolution 202/2025/QH15)."""
from lms.text import fold

PROVINCES: tuple[tuple[str, str], ...] = (
    ("ha-noi", "Hà Nội"),
    ("hue", "Huế"),
    ("lai-chau", "Lai Châu"),
    ("dien-bien", "Điện Biên"),
    ("son-la", "Sơn La"),
    ("lang-son", "Lạng Sơn"),
    ("quang-ninh", "Quảng Ninh"),
    ("thanh-hoa", "Thanh Hóa"),
    ("nghe-an", "Nghệ An"),
    ("ha-tinh", "Hà Tĩnh"),
    ("cao-bang", "Cao Bằng"),
    ("tuyen-quang", "Tuyên Quang"),
    ("lao-cai", "Lào Cai"),
    ("thai-nguyen", "Thái Nguyên"),
    ("phu-tho", "Phú Thọ"),
    ("bac-ninh", "Bắc Ninh"),
    ("hung-yen", "Hưng Yên"),
    ("hai-phong", "Hải Phòng"),
    ("ninh-binh", "Ninh Bình"),
    ("quang-tri", "Quảng Trị"),
    ("da-nang", "Đà Nẵng"),
    ("quang-ngai", "Quảng Ngãi"),
    ("gia-lai", "Gia Lai"),
    ("khanh-hoa", "Khánh Hòa"),
    ("lam-dong", "Lâm Đồng"),
    ("dak-lak", "Đắk Lắk"),
    ("ho-chi-minh", "Thành phố Hồ Chí Minh"),
    ("dong-nai", "Đồng Nai"),
    ("tay-ninh", "Tây Ninh"),
    ("can-tho", "Cần Thơ"),
    ("vinh-long", "Vĩnh Long"),
    ("dong-thap", "Đồng Tháp"),
    ("ca-mau", "Cà Mau"),
    ("an-giang", "An Giang"),
)

PROVINCE_NAMES = dict(PROVINCES)

# Units merged on 1 July 2025: old name -> new unit, so imports and searches with old names still work.
FORMER_UNITS = {
    "ha giang": "tuyen-quang", "yen bai": "lao-cai", "bac kan": "thai-nguyen",
    "vinh phuc": "phu-tho", "hoa binh": "phu-tho", "bac giang": "bac-ninh", "thai binh": "hung-yen",
    "hai duong": "hai-phong", "ha nam": "ninh-binh", "nam dinh": "ninh-binh", "quang binh": "quang-tri",
    "quang nam": "da-nang", "kon tum": "quang-ngai", "binh dinh": "gia-lai", "ninh thuan": "khanh-hoa",
    "dak nong": "lam-dong", "binh thuan": "lam-dong", "phu yen": "dak-lak", "binh duong": "ho-chi-minh",
    "ba ria vung tau": "ho-chi-minh", "ba ria - vung tau": "ho-chi-minh", "binh phuoc": "dong-nai",
    "long an": "tay-ninh", "soc trang": "can-tho", "hau giang": "can-tho", "ben tre": "vinh-long",
    "tra vinh": "vinh-long", "tien giang": "dong-thap", "bac lieu": "ca-mau", "kien giang": "an-giang",
}


def find_province(text: str) -> str | None:
    """Return the province code for a code, a name (with or without diacritics) or a former unit's name."""
    wanted = fold(text).replace("tinh ", "", 1).replace("thanh pho ", "", 1).replace("tp. ", "", 1)
    if text in PROVINCE_NAMES:
        return text
    for code, name in PROVINCES:
        if wanted in {fold(name), fold(name).replace("thanh pho ", ""), code.replace("-", " ")}:
            return code
    return FORMER_UNITS.get(wanted)
