"""No personal data in logs."""

import logging

import pytest

from tracker.security.logging import PersonalDataFilter, mask_personal_data


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sent to anna.muster+ops@example.co.uk", "sent to [email]"),
        ("sms +41 79 123 45 67 failed", "sms [phone] failed"),
        ("sms +33612345678 failed", "sms [phone] failed"),
        ("sms 0041791234567 failed", "sms [phone] failed"),
        ("call 079 123 45 67", "call [phone]"),
        ("call 06 12 34 56 78", "call [phone]"),
        ("login from 203.0.113.7", "login from 203.0.113.x"),
        ("job 1234567 took 0.25 s at 2026-11-22 03:24:52,792", "job 1234567 took 0.25 s at 2026-11-22 03:24:52,792"),
        ("axes version 8.3.1", "axes version 8.3.1"),
        ("succeeded in 0.0026355738999882306s: None", "succeeded in 0.0026355738999882306s: None"),
    ],
)
def test_mask_personal_data(text, masked):
    assert mask_personal_data(text) == masked


def _console_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if h.get_name() == "console")


def test_root_console_handler_masks_message_args_and_traceback():
    handler = _console_handler()
    assert any(isinstance(f, PersonalDataFilter) for f in handler.filters)
    try:
        raise ValueError("duplicate key anna@example.com")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "tracker.test",
        logging.ERROR,
        __file__,
        1,
        "delivery to %s (%s) failed",
        ("anna@example.com", "+41791234567"),
        exc_info,
    )

    assert handler.filter(record)
    line = handler.format(record)

    assert "anna@example.com" not in line
    assert "+41791234567" not in line
    assert "delivery to [email] ([phone]) failed" in line
    assert "ValueError: duplicate key [email]" in line


def test_a_broken_format_string_is_still_logged_and_masked():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s and %s", ("bob@example.com",), None)

    assert PersonalDataFilter().filter(record)
    assert record.getMessage() == "to %s and %s"


def test_line_breaks_in_messages_cannot_forge_log_lines():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "search %s", ("a\n2026-01-01 INFO admin logged in",), None
    )

    PersonalDataFilter().filter(record)

    assert record.getMessage() == "search a\\n2026-01-01 INFO admin logged in"


def test_log_lines_carry_utc_iso_timestamps():
    record = logging.LogRecord("tracker.x", logging.INFO, __file__, 1, "hello", (), None)
    record.created = 1_763_780_100.5  # 2025-11-22T02:55:00.5Z
    record.msecs = 500

    line = _console_handler().format(record)

    assert line == "2025-11-22T02:55:00.500Z INFO tracker.x hello"
