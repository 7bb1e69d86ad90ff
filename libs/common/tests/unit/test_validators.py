"""Resident ID numbers (GB 11643-1999), credit codes (GB 32100-2015), region codes as types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from zhicheng_common.testing import resident_id
from zhicheng_common.validators import (
    CreditCode,
    RegionCode,
    ResidentIdNumber,
    birth_date_from_resident_id,
    credit_code_problem,
    gender_from_resident_id,
    normalize_resident_id,
    resident_id_problem,
)

# The sample number of the standard's explanations, and the example of GB 11643-1999 itself.
SAMPLE_ID = "11010519491231002X"
STANDARD_EXAMPLE_ID = "440524188001010014"
# The example of GB 32100-2015.
SAMPLE_CREDIT_CODE = "91350100M000100Y43"


@pytest.mark.parametrize(
    "value",
    [
        SAMPLE_ID,
        STANDARD_EXAMPLE_ID,
        "110105202402290011",  # born on 29 Feb of a leap year
        "830000198001010018",  # residence permit of a Taiwan resident
    ],
)
def test_valid_resident_ids_pass(value: str) -> None:
    assert resident_id_problem(value) is None


@pytest.mark.parametrize(
    ("problem_of", "value", "expected"),
    [
        pytest.param(resident_id_problem, "110105194912310021", "X", id="resident_id"),
        pytest.param(credit_code_problem, "91350100M000100Y44", "3", id="credit_code"),
    ],
)
def test_a_wrong_check_character_names_the_expected_one(
    problem_of: Callable[[str], str | None], value: str, expected: str
) -> None:
    problem = problem_of(value)
    assert problem is not None
    assert "校验码" in problem
    assert expected in problem


@pytest.mark.parametrize("value", ["11010519491231002", "11010519491231002X0", ""])
def test_resident_id_wrong_length(value: str) -> None:
    problem = resident_id_problem(value)
    assert problem is not None
    assert "18位" in problem


@pytest.mark.parametrize("value", ["1101051949123100XX", "11010519491231002Y", "１１０１０５１９４９１２３１００２X"])
def test_resident_id_wrong_characters(value: str) -> None:
    problem = resident_id_problem(value)
    assert problem is not None
    assert "数字" in problem


@pytest.mark.parametrize(
    "value",
    [
        "110105194902300012",  # 30 Feb, correct check character
        "110105202302290014",  # 29 Feb of a common year, correct check character
    ],
)
def test_resident_id_impossible_birth_date(value: str) -> None:
    problem = resident_id_problem(value)
    assert problem is not None
    assert "出生日期" in problem


def test_resident_id_unknown_province_prefix() -> None:
    problem = resident_id_problem("000105194912310024")  # correct check character
    assert problem is not None
    assert "地址码" in problem


def test_resident_id_lower_case_x_is_normalized() -> None:
    assert normalize_resident_id(" 11010519491231002x ") == SAMPLE_ID
    assert resident_id_problem("11010519491231002x") is not None  # checked as given


def test_birth_date_and_gender_from_resident_id() -> None:
    assert birth_date_from_resident_id(SAMPLE_ID) == date(1949, 12, 31)
    assert gender_from_resident_id(SAMPLE_ID) == "female"  # sequence 002: even
    assert birth_date_from_resident_id(STANDARD_EXAMPLE_ID) == date(1880, 1, 1)
    assert gender_from_resident_id(STANDARD_EXAMPLE_ID) == "male"  # sequence 001: odd
    assert birth_date_from_resident_id("11010519491231002x") == date(1949, 12, 31)


def test_birth_date_of_an_invalid_id_is_refused() -> None:
    with pytest.raises(ValueError, match="校验码"):
        birth_date_from_resident_id("110105194912310021")
    with pytest.raises(ValueError, match="校验码"):
        gender_from_resident_id("110105194912310021")


@pytest.mark.parametrize("value", [SAMPLE_CREDIT_CODE, "91110000802100433B", "91440300708461136T"])
def test_valid_credit_codes_pass(value: str) -> None:
    assert credit_code_problem(value) is None


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_credit_code_refuses_letters_outside_the_alphabet(letter: str) -> None:
    problem = credit_code_problem(f"91350100M000100{letter}43")
    assert problem is not None
    assert letter in problem


def test_credit_code_wrong_length() -> None:
    problem = credit_code_problem("91350100M000100Y4")
    assert problem is not None
    assert "18位" in problem


class Person(BaseModel):
    id_number: ResidentIdNumber
    employer_code: CreditCode
    region: RegionCode


def test_annotated_types_normalize_valid_values() -> None:
    person = Person(id_number="11010519491231002x", employer_code="91350100m000100y43", region="140105")
    assert person.id_number == SAMPLE_ID
    assert person.employer_code == SAMPLE_CREDIT_CODE


def test_annotated_types_name_the_field_and_say_why() -> None:
    with pytest.raises(ValidationError) as caught:
        Person(id_number="110105194912310021", employer_code="91350100M000100Y44", region="990000")
    errors = {error["loc"][0]: error["msg"] for error in caught.value.errors()}
    assert "校验码" in errors["id_number"]
    assert "校验码" in errors["employer_code"]
    assert "行政区划代码" in errors["region"]


async def test_fastapi_returns_422_naming_the_field() -> None:
    app = FastAPI()

    @app.post("/people")
    async def create(person: Person) -> dict[str, str]:
        return {"id_number": person.id_number}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        ok = await client.post(
            "/people", json={"id_number": "11010519491231002x", "employer_code": SAMPLE_CREDIT_CODE, "region": "140000"}
        )
        bad = await client.post(
            "/people", json={"id_number": "110105194912310021", "employer_code": SAMPLE_CREDIT_CODE, "region": "140000"}
        )
    assert ok.status_code == 200
    assert ok.json() == {"id_number": SAMPLE_ID}
    assert bad.status_code == 422
    [error] = bad.json()["detail"]
    assert error["loc"] == ["body", "id_number"]
    assert "校验码" in error["msg"]


def test_generated_resident_ids_are_valid_and_never_repeat_in_a_session() -> None:
    # 20,000 draws from 14.6 million numbers would repeat about 14 times if drawn blindly
    # (n² / 2N); a test session creates thousands of people in one database.
    numbers = [resident_id() for _ in range(20_000)]
    assert len(set(numbers)) == 20_000
    assert all(resident_id_problem(number) is None for number in numbers[:500])
