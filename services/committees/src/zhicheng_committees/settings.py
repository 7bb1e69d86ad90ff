"""Settings of the committees service (environment prefix ``ZC_COMMITTEES_``)."""

from __future__ import annotations

from pathlib import Path

from zhicheng_common.pdf_font import DEFAULT_CJK_FONT
from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "committees", "committees", migrations_dir(__file__)


class CommitteesSettings(ServiceSettings, service=SERVICE):
    expiry_interval_seconds: float = 60.0
    # The CJK TrueType font embedded in the meeting file's PDF (CM-11; Debian: fonts-wqy-microhei).
    meeting_file_font: Path = DEFAULT_CJK_FONT
