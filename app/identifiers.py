"""Identifier checks: USCC (GB 32100), resident ID (GB 11643), phones, money; masking for display.

The ``*_valid`` functions are strict: normalise user input first (``normalize_code``,
``normalize_mobile``, ``normalize_money``). See docs in GLOSSARY.md "Identifier rules".
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from app import clock

__all__ = [
    "USCC_CHARSET",
    "landline_valid",
    "mask_id",
    "mask_phone",
    "mobile_valid",
    "money_valid",
    "normalize_code",
    "normalize_mobile",
    "normalize_money",
    "org_code_check_char",
    "phone_valid",
    "resident_id_problem",
    "resident_id_valid",
    "uscc_check_char",
    "uscc_org_code_warning",
    "uscc_problem",
    "uscc_valid",
]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
# Position 1: registration authority (登记管理部门代码), GB 32100-2015 table.
USCC_AUTHORITIES = frozenset("123456789ANY")

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_CHECK = "10X98765432"

MONEY_MAX = Decimal(10) ** 13


def normalize_code(s: str) -> str:
    """NFKC (full-width → ASCII), drop whitespace and hyphens, upper-case."""
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"[\s\-‐‑‒–—―－]+", "", s).upper()


# -- USCC (统一社会信用代码) -------------------------------------------------------------------------

def uscc_check_char(first17: str) -> str:
    """GB 32100 check character for the first 17 characters (assumed within the charset)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(s: str) -> str | None:
    """Why s is not a valid USCC, as a reason code, or None if it is valid.

    Reason codes: ``length`` (not 18 characters), ``charset`` (a character outside
    0-9 and A-Y without I O Z S V, lower case included), ``authority`` (position 1 not a
    registration authority), ``category`` (position 2 not a digit 1–9), ``region`` (positions
    3–8 not six digits), ``check`` (position 18 wrong).
    """
    if not isinstance(s, str) or len(s) != 18:
        return "length"
    if any(c not in _USCC_VALUE for c in s):
        return "charset"
    if s[0] not in USCC_AUTHORITIES:
        return "authority"
    if s[1] not in "123456789":
        return "category"
    if not s[2:8].isdigit():
        return "region"
    if uscc_check_char(s[:17]) != s[17]:
        return "check"
    return None


def uscc_valid(s: str) -> bool:
    return uscc_problem(s) is None


def org_code_check_char(body: str) -> str | None:
    """GB 11714 check character of an 8-character organisation-code body (None if not computable)."""
    if len(body) != 8:
        return None
    total = 0
    for c, w in zip(body, _ORG_WEIGHTS):
        if c.isdigit():
            value = int(c)
        elif "A" <= c <= "Z":
            value = ord(c) - ord("A") + 10
        else:
            return None
        total += value * w
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_org_code_warning(s: str) -> str | None:
    """A warning when the embedded organisation code (positions 9–17) fails its own GB 11714 check.

    Only for otherwise valid codes; the authoritative check is position 18, so this is a warning,
    never a rejection.
    """
    if not uscc_valid(s):
        return None
    expected = org_code_check_char(s[8:16])
    if expected is None or expected == s[16]:
        return None
    return (
        f"the organisation code embedded in {s} ({s[8:17]}) fails its GB 11714 check "
        f"(expected check character {expected}); please double-check the code"
    )


# -- resident ID (居民身份证号码) --------------------------------------------------------------------

def resident_id_problem(s: str) -> str | None:
    """Reason code why s is not a valid 18-digit ID number: length, charset, birth_date, check."""
    if not isinstance(s, str) or len(s) != 18:
        return "length"
    if not (s[:17].isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X") and s[17].isascii()):
        return "charset"
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return "birth_date"
    if born.year < 1900 or born > clock.local(clock.now()).date():
        return "birth_date"
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != s[17]:
        return "check"
    return None


def resident_id_valid(s: str) -> bool:
    return resident_id_problem(s) is None


# -- phones -----------------------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$", re.ASCII)


def normalize_mobile(s: str) -> str:
    """NFKC, drop spaces/hyphens/dots/brackets, strip a +86 / 0086 / 86 country prefix."""
    s = unicodedata.normalize("NFKC", s or "")
    s = re.sub(r"[\s\-‐‑‒–—―.()]+", "", s)
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            return s[len(prefix):]
    if s.startswith("86") and len(s) == 13:
        return s[2:]
    return s


def mobile_valid(s: str) -> bool:
    return isinstance(s, str) and bool(_MOBILE.match(s))


def landline_valid(s: str) -> bool:
    return isinstance(s, str) and bool(_LANDLINE.match(s))


def phone_valid(s: str) -> bool:
    return mobile_valid(s) or landline_valid(s)


# -- money ------------------------------------------------------------------------------------------

_MONEY = re.compile(r"^\d{1,14}(\.\d{1,2})?$", re.ASCII)


def normalize_money(s: str) -> str:
    """Tidy a typed amount: NFKC, drop spaces, thousands separators and a ¥ sign; two decimals.

    Input that is not a plain non-negative amount with at most two decimals is returned cleaned
    but otherwise unchanged, so validation can say what is wrong with it.
    """
    s = unicodedata.normalize("NFKC", s or "")
    s = re.sub(r"[\s,¥￥]+", "", s)
    if s.endswith("元"):
        s = s[:-1]
    if re.fullmatch(r"\d+(\.\d{0,2})?", s, re.ASCII):
        return f"{Decimal(s):.2f}"
    return s


def money_valid(s: str) -> bool:
    """A decimal string, at least 0, at most two decimal places, at most 10^13."""
    if not isinstance(s, str) or not _MONEY.match(s):
        return False
    try:
        return Decimal(s) <= MONEY_MAX
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        return False


# -- masking for lists and logs ------------------------------------------------------------------------

def mask_id(s: str) -> str:
    """``340321198506120038`` → ``340321********0038`` (keep region and last four)."""
    s = s or ""
    if len(s) <= 10:
        return s[:2] + "*" * max(len(s) - 4, 0) + s[-2:] if len(s) > 4 else "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_phone(s: str) -> str:
    """``13812345678`` → ``138****5678``; a landline keeps its area code and last four digits."""
    s = s or ""
    mobile = normalize_mobile(s)
    if mobile_valid(mobile):
        return mobile[:3] + "****" + mobile[-4:]
    m = re.fullmatch(r"(0\d{2,3}-?)(\d+)(\d{4})", s)
    if m:
        return m.group(1) + "*" * len(m.group(2)) + m.group(3)
    if len(s) <= 4:
        return "*" * len(s)
    return "*" * (len(s) - 4) + s[-4:]
