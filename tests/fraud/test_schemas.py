"""Property tests of the intake's privacy check: pseudonyms pass, numbers in clear never do."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantern.fraud.schemas import CallIn, TransactionIn, pseudonym

HEX64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
DIGITS = st.text(alphabet="0123456789", min_size=7, max_size=15)


@given(HEX64)
def test_a_pseudonym_passes_unchanged(value):
    assert pseudonym(value) == value


@given(DIGITS, st.sampled_from(["", "+", "+358 ", "00"]), st.sampled_from(["", " ", "-"]))
def test_phone_and_account_numbers_in_clear_never_pass(digits, prefix, separator):
    value = prefix + separator.join([digits[:3], digits[3:]])
    with pytest.raises(ValueError, match="in clear"):
        pseudonym(value)


@given(HEX64)
def test_upper_case_or_short_hex_is_refused(value):
    with pytest.raises(ValueError):
        pseudonym(value.upper() if any(c.isalpha() for c in value) else value[:-1])


def test_extra_fields_are_refused():
    with pytest.raises(ValueError, match="Extra inputs"):
        CallIn.model_validate(
            {"time": "2026-01-01T00:00:00Z", "from_number": "a" * 64, "to_number": "b" * 64, "duration_s": 3, "x": 1}
        )
    with pytest.raises(ValueError, match="timezone"):
        TransactionIn.model_validate(
            {"tx_id": "t", "time": "2026-01-01T00:00:00", "from_account": "a" * 64, "to_account": "b" * 64,
             "amount": 1, "currency": "EUR", "channel": "card"}
        )  # fmt: skip
