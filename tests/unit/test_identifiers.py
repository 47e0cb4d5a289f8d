"""Identifier checks with the test values of GLOSSARY.md "Identifier rules"."""
from datetime import datetime, timezone

import pytest
import time_machine

from app.identifiers import (
    landline_valid,
    mask_id,
    mask_phone,
    mobile_valid,
    money_valid,
    normalize_code,
    normalize_mobile,
    normalize_money,
    phone_valid,
    resident_id_problem,
    resident_id_valid,
    uscc_check_char,
    uscc_org_code_warning,
    uscc_problem,
    uscc_valid,
)

# -- USCC -----------------------------------------------------------------------------------------

VALID_USCC = [
    "91340321MA2N8K3P3N",
    "91340302MA8RQ4L290",
    "91340322MA1W7H0C0J",
    "N2340321MA3K7P2Q22",  # starts with a letter (village collective)
    "Y1340300MA4B6C8D70",
    "91350100M000100Y43",  # GB 32100 worked example
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc_is_accepted(code):
    assert uscc_valid(code)


@pytest.mark.parametrize(
    "code, reason",
    [
        ("91340321MA2N8K3P30", "check"),  # wrong check character
        ("91340321MAON8K3P3N", "charset"),  # contains O
        ("91340321MAIN8K3P3N", "charset"),  # contains I
        ("91340321MA2N8K3P3", "length"),  # 17 characters
        ("340321000012345", "length"),  # old 15-digit registration number
        ("913A0321MA2N8K3P3N", "region"),  # letter in the region part
        ("91350100M000100Y4Z", "charset"),  # the standard's negative example (Z is not in the set)
        ("91340321M2AN8K3P3N", "check"),  # adjacent transposition
        ("B1340321MA2N8K3P3N", "authority"),  # B is no registration authority
        ("9A340321MA2N8K3P3N", "category"),
    ],
)
def test_invalid_uscc_is_rejected_with_its_reason(code, reason):
    assert (uscc_valid(code), uscc_problem(code)) == (False, reason)


def test_lower_case_uscc_is_rejected_by_the_strict_check():
    assert not uscc_valid("91340321ma2n8k3p3n")


def test_full_width_uscc_is_rejected_by_the_strict_check():
    assert not uscc_valid("９１３４０３２１ＭＡ２Ｎ８Ｋ３Ｐ３Ｎ")


def test_normalize_code_makes_full_width_lower_case_spaced_input_valid():
    assert normalize_code(" ９１３４０３２１ma2n-8k3p 3n ") == "91340321MA2N8K3P3N"


def test_uscc_check_char_reproduces_the_standard_example():
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_embedded_org_code_mismatch_is_a_warning_not_an_error():
    code = "91340321MA2N8K3P5W"  # org check should be 3, position 18 recomputed so the USCC is valid
    assert uscc_valid(code) and "expected check character 3" in uscc_org_code_warning(code)


@pytest.mark.parametrize("code", VALID_USCC)
def test_embedded_org_code_of_the_examples_has_no_warning(code):
    assert uscc_org_code_warning(code) is None


# -- resident ID ----------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["11010519491231002X", "340321198506120038", "34030219900101004X", "340322200002290056"])
def test_valid_resident_id_is_accepted(number):
    assert resident_id_valid(number)


@pytest.mark.parametrize(
    "number, reason",
    [
        ("340321199002300012", "birth_date"),  # 30 February
        ("340321198506120030", "check"),
        ("34030219900101004x", "charset"),  # lower-case x: normalise first
        ("34032119850612003", "length"),
    ],
)
def test_invalid_resident_id_is_rejected_with_its_reason(number, reason):
    assert (resident_id_valid(number), resident_id_problem(number)) == (False, reason)


def test_normalised_lower_case_x_is_accepted():
    assert resident_id_valid(normalize_code("34030219900101004x"))


@time_machine.travel(datetime(2020, 1, 1, tzinfo=timezone.utc), tick=False)
def test_birth_date_in_the_future_is_rejected():
    assert resident_id_problem("340322200002290056") is None and resident_id_problem("340321202101010011") == "birth_date"


# -- phones ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["13812345678", "16612345678", "19912345678", "14712345678"])
def test_valid_mobile_is_accepted(number):
    assert mobile_valid(number)


@pytest.mark.parametrize("number", ["12345678901", "1381234567", "+8613812345678"])
def test_invalid_or_unnormalised_mobile_is_rejected(number):
    assert not mobile_valid(number)


@pytest.mark.parametrize("raw", ["+86 138-1234-5678", "0086 13812345678", "8613812345678", "１３８ １２３４ ５６７８"])
def test_normalize_mobile_strips_country_prefix_and_separators(raw):
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("number", ["0552-3123097", "05523123097", "010-12345678"])
def test_landline_with_area_code_is_accepted(number):
    assert landline_valid(number) and phone_valid(number)


@pytest.mark.parametrize("number", ["3123097", "552-3123097", "0552-312309"])
def test_landline_without_area_code_is_rejected(number):
    assert not landline_valid(number)


def test_phone_valid_accepts_a_mobile():
    assert phone_valid("13812345678")


# -- money ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["0", "0.5", "1234.56", "10000000000000", "10000000000000.00"])
def test_valid_money_is_accepted(amount):
    assert money_valid(amount)


@pytest.mark.parametrize("amount", ["-1", "1.234", "10000000000000.01", "1e5", "1,000", "", "abc", " 1"])
def test_invalid_money_is_rejected(amount):
    assert not money_valid(amount)


def test_normalize_money_drops_separators_and_currency_and_pads_two_decimals():
    assert normalize_money("￥1,234.5 ") == "1234.50"


def test_normalize_money_leaves_too_many_decimals_for_validation_to_reject():
    assert normalize_money("1.234") == "1.234"


# -- masking --------------------------------------------------------------------------------------

def test_mask_id_keeps_region_and_last_four():
    assert mask_id("340321198506120038") == "340321********0038"


def test_mask_phone_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_mask_phone_keeps_landline_area_code():
    assert mask_phone("0552-3123097") == "0552-***3097"
