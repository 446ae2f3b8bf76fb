import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


@pytest.mark.parametrize("password", ["MyOutage2026!!", "trackerrocks-99", "Störung-im-Netz-7"])
def test_context_words_are_refused(password):
    with pytest.raises(ValidationError) as excinfo:
        validate_password(password)

    assert "password_context_word" in [e.code for e in excinfo.value.error_list]


def test_long_passphrase_of_any_characters_is_accepted():
    validate_password("correct horse battery staple ünïcödé " + "x" * 40)


def test_short_and_common_passwords_are_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_password("qwerty123")

    codes = {e.code for e in excinfo.value.error_list}
    assert {"password_too_short", "password_too_common"} <= codes
