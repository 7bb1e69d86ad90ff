"""The /verify page, rendered on the server: one HTML document, its CSS inline, nothing fetched from anywhere.

Every value that reaches the page (the answer's fields, the number typed, an error's words) goes
through :func:`html.escape`; the templates below hold no other interpolation. The style sheet is
a constant, so the Content-Security-Policy names it by its SHA-256 and allows nothing else: no
script, no image, no font, no connection, forms posted only to this origin.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape
from typing import Any

from zhicheng_gateway.verify.domain import CHECK_LABELS, LEVEL_LABELS, OUTCOME_LABELS, verdict

PAGE_PATH = "/verify"

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f5f5f2;color:#1c1c1c;font:16px/1.6 system-ui,-apple-system,"PingFang SC",
"Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif}
main{max-width:36rem;margin:0 auto;padding:1rem}
header{border-bottom:3px solid #b71c1c;margin-bottom:1rem}
h1{font-size:1.35rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:0 0 .5rem}
.lead{color:#555;margin:0 0 .75rem}
.result{border-radius:.5rem;padding:1rem;margin:0 0 1.25rem;background:#fff;border:2px solid #999}
.tone-valid{border-color:#2e7d32}.tone-valid h2{color:#2e7d32}
.tone-invalid{border-color:#c62828}.tone-invalid h2{color:#c62828}
.tone-none{border-color:#757575}.tone-error{border-color:#ef6c00}.tone-error h2{color:#ef6c00}
ul.checks{list-style:none;margin:0 0 1rem;padding:0}
ul.checks li{display:flex;flex-wrap:wrap;gap:.25rem .75rem;padding:.4rem 0;border-bottom:1px solid #eee}
.check-label{flex:1 1 12rem;font-weight:600}
.outcome{font-weight:700}.outcome-passed{color:#2e7d32}.outcome-failed{color:#c62828}
.outcome-unknown,.outcome-not_applicable{color:#757575}
.reason{flex:1 1 100%;color:#555;font-size:.9rem}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dt{color:#555}dd{margin:0;word-break:break-all}
form{background:#fff;border-radius:.5rem;padding:1rem;border:1px solid #ddd}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
input{width:100%;font:inherit;padding:.6rem;border:1px solid #aaa;border-radius:.35rem}
button{margin-top:1rem;width:100%;font:inherit;font-weight:700;padding:.75rem;border:0;border-radius:.35rem;
background:#b71c1c;color:#fff}
footer{color:#777;font-size:.85rem;margin-top:1.5rem}
@media (min-width:40rem){main{padding:2rem 1rem}h1{font-size:1.6rem}}
""".strip()

CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()

#: Nothing but the inline style sheet above; the form posts to this origin only.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",  # the QR token is in the URL: it goes nowhere else
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

FIELDS: tuple[tuple[str, str], ...] = (
    ("number", "证书编号"),
    ("holderName", "持证人"),
    ("titleName", "职称"),
    ("series", "系列"),
    ("level", "级别"),
    ("obtainedOn", "取得时间"),
    ("issuedAt", "签发时间"),
    ("issuer", "签发机构"),
)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _field_value(name: str, value: Any) -> str:
    if name == "level":
        return LEVEL_LABELS.get(str(value), str(value))
    if name == "issuedAt" and isinstance(value, str):
        return value[:10]
    return "" if value is None else str(value)


def render_answer(answer: Mapping[str, Any]) -> str:
    """The result section of an answer: the verdict, each check, the minimal fields; "no match" alone."""
    said = verdict(answer)
    parts = [
        f'<section class="result tone-{_e(said.tone)}" id="result" data-verdict="{_e(said.tone)}" aria-live="polite">',
        f'<h2 id="verdict">{_e(said.text)}</h2>',
    ]
    if not answer.get("matched"):
        parts.append('<p class="lead">请核对证书编号与持证人姓名后重试。</p></section>')
        return "".join(parts)
    parts.append('<ul class="checks">')
    for check in answer.get("checks", []):
        name, outcome = str(check.get("name", "")), str(check.get("outcome", ""))
        parts.append(
            f'<li data-check="{_e(name)}" data-outcome="{_e(outcome)}">'
            f'<span class="check-label">{_e(CHECK_LABELS.get(name, name))}</span>'
            f'<span class="outcome outcome-{_e(outcome)}">{_e(OUTCOME_LABELS.get(outcome, outcome))}</span>'
            f'<span class="reason">{_e(check.get("reason", ""))}</span></li>'
        )
    parts.append('</ul><dl class="fields">')
    certificate = answer.get("certificate") or {}
    for name, label in FIELDS:
        if name in certificate:
            value = _field_value(name, certificate[name])
            parts.append(f'<dt>{_e(label)}</dt><dd data-field="{_e(name)}">{_e(value)}</dd>')
    parts.append("</dl></section>")
    return "".join(parts)


def render_error(title: str, detail: str) -> str:
    """The result section of a refused or failed lookup (a malformed number, the service away)."""
    return (
        '<section class="result tone-error" id="result" data-verdict="error" aria-live="polite">'
        f'<h2 id="verdict">{_e(title)}</h2><p class="lead">{_e(detail)}</p></section>'
    )


def render_page(result: str = "", *, number: str = "") -> str:
    """The whole page: the result section (already rendered, escaped) and the form."""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        "<title>职称证书核验</title>"
        f"<style>{CSS}</style></head><body><main>"
        '<header><h1>职称证书核验</h1><p class="lead">扫描电子证书上的二维码，或填写证书编号与持证人姓名。</p></header>'
        f"{result}"
        f'<form method="post" action="{PAGE_PATH}" autocomplete="off">'
        '<label for="number">证书编号</label>'
        f'<input id="number" name="number" required maxlength="32" value="{_e(number)}"'
        ' placeholder="14-2026-0000001-6">'
        '<label for="name">持证人姓名</label>'
        '<input id="name" name="name" required maxlength="64">'
        '<button type="submit" id="submit">核验</button></form>'
        "<footer>本页无需登录，不加载任何外部资源。核验结果只显示核验所需的信息，"
        "不显示身份证号；未署名的核验只按日计数，不记录查询者。</footer>"
        "</main></body></html>"
    )
