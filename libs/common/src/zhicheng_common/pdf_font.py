"""The CJK TrueType font embedded in the PDFs the services make (certificates, meeting files).

A TrueType (glyf) font such as Debian's ``fonts-wqy-microhei`` is embedded as a subset, so the PDF
shows the same text on any machine (reportlab's CID ``STSong-Light`` embeds nothing, and CFF fonts
such as Noto CJK cannot be embedded by reportlab). reportlab is imported here only when a font is
registered: it is a dependency of the services that make PDFs, not of every service.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: Where Debian's fonts-wqy-microhei puts its font; each service's settings may point elsewhere.
DEFAULT_CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
#: The Debian package that provides :data:`DEFAULT_CJK_FONT`.
CJK_FONT_PACKAGE = "fonts-wqy-microhei"


class FontFileError(Exception):
    """The font file is missing or not a TrueType font reportlab can embed (the message says which)."""


def register_cjk_font(path: Path) -> str:
    """Register the TrueType font at ``path`` with reportlab once and return its reportlab name.

    Raises:
        FontFileError: The file is missing or cannot be embedded.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    name = "ZC-" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    if not path.is_file():
        raise FontFileError(f"字体文件不存在：{path}（请安装 {CJK_FONT_PACKAGE} 或配置字体路径）")
    try:
        font = TTFont(name, str(path), subfontIndex=0) if path.suffix.lower() == ".ttc" else TTFont(name, str(path))
    except (TTFError, OSError) as error:
        raise FontFileError(f"字体无法使用：{path}（{error}）") from error
    pdfmetrics.registerFont(font)
    return name
