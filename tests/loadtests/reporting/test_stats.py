"""loadtests.reporting.stats: median and spread over repeats, and how reports print them."""

from __future__ import annotations

from loadtests.reporting.stats import NEVER_HELD, Agg, agg, fmt, number, ratio


def test_agg_of_values():
    assert agg([3, 1, 2]) == Agg(median=2.0, low=1.0, high=3.0, n=3, missing=0)
    assert agg([4, 1]) == Agg(2.5, 1.0, 4.0, 2, 0)  # an even count: the middle of the two
    assert agg(iter([7])) == Agg(7.0, 7.0, 7.0, 1, 0)


def test_agg_counts_the_missing_values():
    assert agg([None, 3, 1]) == Agg(2.0, 1.0, 3.0, 3, 1)
    assert agg([None, None]) == Agg(None, None, None, 2, 2)
    assert agg([]) == Agg(None, None, None, 0, 0)
    assert agg([0, None]).median == 0.0  # zero is a value, not a missing one


def test_a_capacity_that_never_held_counts_as_zero_as_in_the_summaries():
    """The report's table and summary.json's median agree (report.median_over): 2 of 3 repeats
    that never held make the median 0, not the third repeat's figure."""
    capacity = agg([None, 242, None], none_as=NEVER_HELD)
    assert capacity == Agg(0.0, 0.0, 242.0, 3, 2)
    assert fmt(capacity) == "0 (0–242; 2 of 3 none)"
    assert agg([None, None], none_as=NEVER_HELD).median is None  # nothing ran: not a zero


def test_fmt():
    assert fmt(agg([12])) == "12"
    assert fmt(agg([11, 12, 14])) == "12 (11–14)"
    assert fmt(agg([10, 14])) == "12 (10–14)"
    assert fmt(agg([1234.5, 1000, 2000.25]), 1) == "1,234.5 (1,000.0–2,000.2)"
    assert fmt(agg([0.456]), 2) == "0.46"


def test_fmt_says_how_many_repeats_had_no_value():
    assert fmt(agg([11, None, 14])) == "12 (11–14; 1 of 3 none)"
    assert fmt(agg([None, 5, None]), missing="never") == "5 (5–5; 2 of 3 never)"
    assert fmt(agg([None, None, None]), missing="never") == "never (all 3)"
    assert fmt(agg([None])) == "none (all 1)"


def test_number():
    assert number(1234567.891) == "1,234,568"
    assert number(0.5, 2) == "0.50"


def test_ratio_of_the_medians():
    assert ratio(agg([10, 10]), agg([32])) == "3.20×"
    assert ratio(agg([4]), agg([1])) == "0.25×"


def test_ratio_without_a_value_or_of_zero_is_a_dash():
    assert ratio(agg([None]), agg([1])) == "–"
    assert ratio(agg([1]), agg([None])) == "–"
    assert ratio(agg([0]), agg([1])) == "–"
    assert ratio(agg([1]), agg([0])) == "0.00×"
