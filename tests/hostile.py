"""Hostile payloads shared by the hostile-input tests: XSS, template and SQL injection, traversal, confusables."""

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=\"data:text/html,<script>alert(1)</script>\">",
    "<embed src=javascript:alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<style>@import 'http://evil.example/x.css';</style>",
    "<link rel=stylesheet href=http://evil.example/x.css>",
    "<meta http-equiv=refresh content=0;url=http://evil.example>",
    "<base href=http://evil.example/>",
    "<form action=http://evil.example><button>x</button></form>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    "![x](http://169.254.169.254/latest/meta-data)",
    "<img src=\"http://evil.example/track.png\">",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "`${alert(1)}`",
]
TEMPLATE = ["{{7*7}}", "{{ config }}", "{% for x in range(3) %}x{% endfor %}", "${7*7}", "#{7*7}", "<%= 7*7 %>", "{{''.__class__.__mro__}}"]
SQL = ["' OR '1'='1", "'; DROP TABLE users; --", "\" OR \"\"=\"", "1; SELECT pg_sleep(5)", "admin'--", "%' OR 1=1 --"]
TRAVERSAL = ["../../../../etc/passwd", "..%2f..%2fetc%2fpasswd", "/etc/passwd", "....//....//etc/passwd", "C:\\Windows\\win.ini"]
UNICODE = [
    "аdmin",  # Cyrillic a
    "Nguyễn\u202eVăn",  # right-to-left override
    "Nguyễn\u200bVăn",  # zero-width space
    "Ｎｇｕｙｅｎ",  # full-width letters
    "Nguyê\u0303n Văn An",  # combining tilde (NFD)
    "🐝 Mật ong 🍯",
    "\ufeffBOM name",
    "Ǹ̸̢̛͇̗̞g̷̛̥u̵y̴ễ̶n",  # zalgo
]
PAYLOADS = XSS + TEMPLATE + SQL + TRAVERSAL + UNICODE
assert len(PAYLOADS) >= 50
