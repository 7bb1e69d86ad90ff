"""Request and response bodies of a meeting's results."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhicheng_committees.result.domain import MeetingFileItem
from zhicheng_committees.schemas import _unique


class ResultsEntryCreate(BaseModel):
    """The entry of a meeting's results into the provincial platform, with the meeting file (CM-11).

    The entry is dated by the server the day it is made; CM-11 is counted from the appointment document.
    """

    model_config = ConfigDict(extra="forbid")

    appointment_document_date: date = Field(
        description="Date of the appointment document (聘任文件); not before the meeting nor after today.",
        examples=["2024-12-02"],
    )
    meeting_file: Annotated[list[MeetingFileItem], AfterValidator(_unique)] = Field(
        examples=[[item.value for item in MeetingFileItem]]
    )
