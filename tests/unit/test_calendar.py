"""Working-day calendar: chinesecalendar data, admin overrides, coverage, deadline rules.

Holiday facts asserted here were read from chinesecalendar 1.11.0 before writing the tests:
2025 National Day + Mid-autumn: 10-01..10-08 off, make-up workdays Sun 09-28 and Sat 10-11;
2026 Spring Festival: 02-15..02-23 off, make-up workdays Sat 02-14 and Sat 02-28.
"""
from datetime import date, datetime, timedelta, timezone

import pytest

from app.calendar import Deadline, WorkingCalendar, compute_due, parse_override_lines
from app.clock import SHANGHAI
from app.errors import CalendarNotCovered


def eod(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture
def cal():
    return WorkingCalendar()


# -- chinesecalendar facts ------------------------------------------------------------------------

def test_2025_national_day_makeup_days_are_workdays(cal):
    assert cal.is_workday(date(2025, 9, 28)) and cal.is_workday(date(2025, 10, 11))


def test_2025_national_day_holidays_run_from_1_to_8_october(cal):
    assert [cal.is_workday(date(2025, 10, d)) for d in range(1, 10)] == [False] * 8 + [True]


def test_2026_spring_festival_holidays_run_from_15_to_23_february(cal):
    assert [cal.is_workday(date(2026, 2, d)) for d in range(14, 25)] == [True] + [False] * 9 + [True]


def test_2026_spring_festival_makeup_saturdays_are_workdays(cal):
    assert cal.is_workday(date(2026, 2, 14)) and cal.is_workday(date(2026, 2, 28))


# -- add_workdays ---------------------------------------------------------------------------------

def test_add_one_workday_before_national_day_lands_after_the_holiday(cal):
    assert cal.add_workdays(datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI), 1) == eod(2025, 10, 9)


def test_add_one_workday_from_saturday_lands_on_makeup_sunday(cal):
    assert cal.add_workdays(date(2025, 9, 27), 1) == eod(2025, 9, 28)


def test_add_workdays_across_spring_festival_2026(cal):
    # Fri 02-13 → Sat 02-14 (make-up) is 1, then the holiday, Tue 02-24 is 2
    assert cal.add_workdays(date(2026, 2, 13), 2) == eod(2026, 2, 24)


def test_add_workdays_counts_from_the_shanghai_date_of_a_utc_moment(cal):
    # 2025-09-30 17:00 UTC is already 2025-10-01 01:00 in Shanghai (a holiday)
    assert cal.add_workdays(datetime(2025, 9, 30, 17, 0, tzinfo=timezone.utc), 1) == eod(2025, 10, 9)


def test_add_zero_workdays_on_a_workday_is_the_end_of_that_day(cal):
    assert cal.add_workdays(date(2025, 9, 30), 0) == eod(2025, 9, 30)


def test_add_zero_workdays_on_a_holiday_is_the_next_workday(cal):
    assert cal.add_workdays(date(2025, 10, 3), 0) == eod(2025, 10, 9)


def test_add_workdays_returns_aware_shanghai_end_of_day(cal):
    due = cal.add_workdays(date(2025, 3, 3), 10)
    assert (due.utcoffset(), due.time().isoformat()) == (timedelta(hours=8), "23:59:59")


def test_negative_workdays_are_refused(cal):
    with pytest.raises(ValueError):
        cal.add_workdays(date(2025, 3, 3), -1)


# -- the 2027 boundary ----------------------------------------------------------------------------

def test_add_workdays_into_uncovered_2027_raises_calendar_not_covered(cal):
    with pytest.raises(CalendarNotCovered) as info:
        cal.add_workdays(date(2026, 12, 30), 5)
    assert info.value.year == 2027 and "2027" in info.value.message and "calendar import" in info.value.message


def test_is_workday_never_guesses_for_an_uncovered_year(cal):
    with pytest.raises(CalendarNotCovered):
        cal.is_workday(date(2027, 1, 4))  # a Monday


def test_admin_loaded_2027_with_overrides_covers_the_year_boundary():
    overrides = {date(2027, 1, 1): False}  # New Year's Day (a Friday)
    cal = WorkingCalendar(overrides=overrides, covered_years={2027})
    # 12-31 Thu is 1, 01-01 holiday, 01-02/03 weekend, 01-04 Mon is 2 … 01-07 Thu is 5
    assert cal.add_workdays(date(2026, 12, 30), 5) == eod(2027, 1, 7)


def test_override_wins_over_chinesecalendar():
    cal = WorkingCalendar(overrides={date(2025, 10, 9): False, date(2025, 10, 4): True})
    assert (cal.is_workday(date(2025, 10, 9)), cal.is_workday(date(2025, 10, 4))) == (False, True)


def test_covered_years_include_chinesecalendar_and_admin_years():
    years = WorkingCalendar(covered_years=[2027]).covered_years()
    assert (years[0], years[-2:]) == (2004, [2026, 2027])


# -- add_calendar_days / workdays_between ---------------------------------------------------------

def test_calendar_days_landing_on_a_holiday_move_to_the_next_workday(cal):
    assert cal.add_calendar_days(date(2025, 9, 26), 5) == eod(2025, 10, 9)


def test_calendar_days_landing_on_a_workday_stay(cal):
    assert cal.add_calendar_days(date(2025, 9, 23), 5) == eod(2025, 9, 28)


def test_workdays_between_counts_after_a_up_to_and_including_b(cal):
    assert cal.workdays_between(date(2025, 9, 26), date(2025, 10, 11)) == 6  # 09-28, 29, 30, 10-09, 10, 11


def test_workdays_between_is_zero_when_b_is_not_after_a(cal):
    assert cal.workdays_between(date(2025, 10, 9), date(2025, 10, 9)) == 0


# -- coverage warning -----------------------------------------------------------------------------

def test_coverage_warning_from_1_december_when_next_year_is_missing(cal):
    warning = cal.coverage_warning(date(2026, 12, 1))
    assert warning is not None and "2027" in warning


def test_no_coverage_warning_on_30_november(cal):
    assert cal.coverage_warning(date(2026, 11, 30)) is None


def test_no_coverage_warning_once_next_year_is_loaded():
    assert WorkingCalendar(covered_years=[2027]).coverage_warning(date(2026, 12, 15)) is None


# -- version --------------------------------------------------------------------------------------

def test_version_is_stable_for_the_same_inputs():
    a = WorkingCalendar({date(2027, 1, 1): False}, [2027])
    b = WorkingCalendar({date(2027, 1, 1): False}, [2027])
    assert a.version == b.version


def test_version_changes_with_an_override():
    assert WorkingCalendar().version != WorkingCalendar({date(2025, 10, 9): False}).version


# -- compute_due ----------------------------------------------------------------------------------

def test_compute_due_workdays_records_rule_start_and_calendar_version(cal):
    start = datetime(2025, 9, 30, 9, 0, tzinfo=SHANGHAI)
    deadline = compute_due("10 workdays", start, cal)  # 10-09, 10, 11 (Sat make-up), 13–17, 20, 21
    assert (deadline.rule, deadline.start, deadline.due_at, deadline.calendar_version) == (
        "10 workdays", start, eod(2025, 10, 21), cal.version
    )


def test_compute_due_days_moves_off_holidays(cal):
    assert compute_due("5 days", datetime(2025, 9, 26, 9, 0, tzinfo=SHANGHAI), cal).due_at == eod(2025, 10, 9)


def test_compute_due_until_reads_an_iso_datetime_from_data(cal):
    deadline = compute_due("until rectification_deadline", datetime(2025, 9, 1, tzinfo=SHANGHAI), cal,
                           {"rectification_deadline": "2025-11-30T18:00:00+08:00"})
    assert deadline.due_at == datetime(2025, 11, 30, 18, 0, tzinfo=SHANGHAI)


def test_compute_due_until_a_bare_date_means_end_of_that_day(cal):
    deadline = compute_due("until d", datetime(2025, 9, 1, tzinfo=SHANGHAI), cal, {"d": "2025-11-30"})
    assert deadline.due_at == eod(2025, 11, 30)


def test_compute_due_until_a_missing_variable_is_a_clear_error(cal):
    with pytest.raises(ValueError, match="'rectification_deadline' is not set"):
        compute_due("until rectification_deadline", datetime(2025, 9, 1, tzinfo=SHANGHAI), cal, {})


def test_compute_due_rejects_an_unknown_rule(cal):
    with pytest.raises(ValueError, match="unknown due rule '10 fortnights'.*N workdays"):
        compute_due("10 fortnights", datetime(2025, 9, 1, tzinfo=SHANGHAI), cal)


def test_deadline_is_a_plain_dataclass(cal):
    assert isinstance(compute_due("1 workday", datetime(2025, 9, 1, tzinfo=SHANGHAI), cal), Deadline)


# -- parse_override_lines -------------------------------------------------------------------------

def test_parse_override_lines_reads_holidays_workdays_and_notes():
    text = "# 2027 schedule\n2027-01-01 holiday 元旦\n\n2027-02-06 workday 春节调休\n"
    assert parse_override_lines(text) == [
        (date(2027, 1, 1), False, "元旦"),
        (date(2027, 2, 6), True, "春节调休"),
    ]


def test_parse_override_lines_expands_a_range():
    days = parse_override_lines("2027-02-10..2027-02-12 holiday 春节")
    assert [d for d, _, _ in days] == [date(2027, 2, 10), date(2027, 2, 11), date(2027, 2, 12)]


def test_parse_override_lines_names_the_bad_line():
    with pytest.raises(ValueError, match="line 2: .*2027-02-30"):
        parse_override_lines("2027-01-01 holiday 元旦\n2027-02-30 holiday 春节")


def test_parse_override_lines_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="line 1: 'vacation' is neither"):
        parse_override_lines("2027-01-01 vacation")
