"""Certificate numbers and NA-16 licence identifiers: ISO 7064 MOD 37,36 check characters worked by hand."""

from __future__ import annotations

from zhicheng_certificates.certificate.domain import (
    CertificateNumber,
    certificate_number,
    licence_identifier,
    licence_identifier_problem,
    mod37_36_check_char,
    parse_certificate_number,
)
from zhicheng_common.refusals import Refusal


def test_mod37_36_check_characters_worked_by_hand() -> None:
    # ISO 7064 hybrid system, M = 36: p = 36; per character a: s = (p + a) mod 36 (0 read as 36),
    # p = 2s mod 37; check c with (p + c) mod 36 = 1, i.e. c = (37 - p) mod 36.
    # "1420260000123" (Shanxi 14, year 2026, serial 0000123):
    #   1: (36+1)%36=1 →p=2   4: 6→12   2: 14→28   0: 28→56%37=19   2: 21→42%37=5   6: 11→22
    #   0: 22→44%37=7   0: 7→14   0: 14→28   0: 28→19   1: 20→40%37=3   2: 5→10   3: 13→26
    #   c = (37-26) mod 36 = 11 → "B"
    assert mod37_36_check_char("1420260000123") == "B"
    # "1120261234567" (Beijing 11, 2026, serial 1234567), where s = 0 is read as 36 once:
    #   1→2 1→6 2→16 0→32 2: 34→68%37=31 6: (31+6)%36=1→2 1→6 2→16 3: 19→38%37=1 4: 5→10
    #   5: 15→30 6: (30+6)%36=0, read 36 →72%37=35 7: (35+7)%36=6→12   c = (37-12)%36 = 25 → "P"
    assert mod37_36_check_char("1120261234567") == "P"


def test_a_certificate_number_encodes_province_year_serial_and_its_check() -> None:
    number = certificate_number(province="14", year=2026, serial=123)
    assert number == CertificateNumber("14", 2026, 123)
    assert str(number) == "14-2026-0000123-B"
    assert str(certificate_number(province="11", year=2026, serial=1_234_567)) == "11-2026-1234567-P"


def test_a_typed_number_is_forgiven_blanks_case_and_hyphens_but_not_its_check() -> None:
    assert parse_certificate_number(" 14-2026-0000123-b ") == CertificateNumber("14", 2026, 123)
    assert parse_certificate_number("1420260000123B") == CertificateNumber("14", 2026, 123)
    wrong = parse_certificate_number("14-2026-0000123-C")
    assert isinstance(wrong, Refusal)
    assert wrong.code == "certificate_number_check"
    assert "应为 B" in wrong.message
    # One digit changed (0000123 → 0000124) with the old check character: refused.
    assert isinstance(parse_certificate_number("14-2026-0000124-B"), Refusal)


def test_malformed_numbers_and_impossible_parts_are_refused() -> None:
    for text in ("", "14-2026-123-B", "14-2026-0000123", "14/2026/0000123/B", "１4-2026-0000123-B"):
        refusal = parse_certificate_number(text)
        assert isinstance(refusal, Refusal), text
        assert refusal.code == "certificate_number_malformed", text
    # 99 is no GB/T 2260 province; the check character is right for its digits, the province is not.
    digits = "9920260000001"
    refusal = parse_certificate_number(digits + mod37_36_check_char(digits))
    assert isinstance(refusal, Refusal)
    assert refusal.code == "province_unknown"
    assert isinstance(certificate_number(province="14", year=2026, serial=0), Refusal)
    assert isinstance(certificate_number(province="14", year=2026, serial=10_000_000), Refusal)


def test_NA_16_licence_identifier_worked_by_hand() -> None:
    licence = licence_identifier(licence_type="A1", issuer_credit_code="11140000012345678E", serial="1")
    # Characters before the check, dots left out: "1215630052A111140000012345678E1001" (34).
    # p after each character (p = 2·s mod 37, s = (p + a) mod 36, 0 read as 36; A = 10, E = 14):
    #   1→2 2→8 1→18 5→9 6→30 3→29 0→21 0→5 5→20 2→7 A→34 1→33 1→31 1→27 1→19 4→9 0→18 0→36
    #   0→35 0→33 0→29 1→23 2→13 3→32 4→35 5→8 6→28 7→33 8→10 E→11 1→24 0→11 0→22 1→9
    #   c = (37 - 9) mod 36 = 28 → "S"
    assert licence == "1.2.156.3005.2.A1.11140000012345678E.1.001.S"
    assert licence_identifier_problem("1.2.156.3005.2.A1.11140000012345678E.1.001.S") is None
    assert licence_identifier_problem(" 1.2.156.3005.2.a1.11140000012345678e.1.001.s ") is None


def test_NA_16_licence_identifiers_are_validated_on_input() -> None:
    wrong_check = licence_identifier_problem("1.2.156.3005.2.A1.11140000012345678E.1.001.T")
    assert wrong_check is not None
    assert (wrong_check.rule, wrong_check.code) == ("NA-16", "licence_id_check")
    bad_issuer = licence_identifier_problem("1.2.156.3005.2.A1.11140000012345678F.1.001.S")
    assert bad_issuer is not None
    assert bad_issuer.code == "licence_id_issuer"
    for text in ("1.2.156.3005.1.A1.11140000012345678E.1.001.S", "1.2.156.3005.2.A1.11140000012345678E.1.1.S", ""):
        refusal = licence_identifier_problem(text)
        assert refusal is not None, text
        assert refusal.code == "licence_id_malformed", text
    refused = licence_identifier(licence_type="A1", issuer_credit_code="11140000012345678F", serial="1")
    assert isinstance(refused, Refusal)
    assert refused.rule == "NA-16"
