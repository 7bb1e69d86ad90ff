"""Personal data in logs (issue 12): an error's text carries no name, free text or ID number into a log line."""

from __future__ import annotations

import json

import pytest
import structlog
from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from zhicheng_common.db import Database
from zhicheng_common.logging import configure_logging
from zhicheng_common.settings import CommonSettings

pytestmark = pytest.mark.service

NAME = "欧阳明月"
ID_NUMBER = "11010519491231002X"
GROUNDS = "本人论文系独立完成，附期刊编辑部证明"


class Applicant(BaseModel):
    name: str
    age: int


def logged_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


async def test_personal_data_a_database_error_logged_shows_no_parameter_nor_key_value(
    zc_settings: CommonSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12: SQLAlchemy puts bound parameters and PostgreSQL the key's value in the error's text."""
    database = Database(zc_settings.database_url, "public")
    try:
        async with database.engine.connect() as conn:
            await conn.execute(text("CREATE TEMP TABLE people (name text UNIQUE, id_number text, grounds text)"))
            insert = text("INSERT INTO people VALUES (:name, :id_number, :grounds)")
            row = {"name": NAME, "id_number": ID_NUMBER, "grounds": GROUNDS}
            await conn.execute(insert, row)
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(insert, row)
    finally:
        await database.dispose()
    configure_logging("test", level="INFO")
    try:
        raise caught.value
    except IntegrityError as exc:
        structlog.get_logger().exception("test.database_error", error=repr(exc))
    (line,) = [entry for entry in logged_lines(capsys) if entry["event"] == "test.database_error"]
    rendered = json.dumps(line, ensure_ascii=False)
    assert "people_name_key" in rendered  # the line still says what failed
    for personal in (NAME, ID_NUMBER, GROUNDS):
        assert personal not in rendered


def test_personal_data_a_validation_error_logged_shows_no_input_and_an_id_number_is_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 12: pydantic repeats the input in its error; an ID number in any field is masked."""
    configure_logging("test", level="INFO")
    try:
        Applicant.model_validate({"name": NAME, "age": GROUNDS})
    except ValidationError as exc:
        structlog.get_logger().warning("test.event_invalid", error=repr(exc), note=f"证件号 {ID_NUMBER}")
    (line,) = [entry for entry in logged_lines(capsys) if entry["event"] == "test.event_invalid"]
    rendered = json.dumps(line, ensure_ascii=False)
    assert "int_parsing" in rendered
    assert GROUNDS not in rendered
    assert ID_NUMBER not in rendered
    assert "110105************" in rendered
