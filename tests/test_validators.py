"""Check digits of ИНН, ОГРН and КПП, and the Russian messages a wrong one gets."""

from __future__ import annotations

import pytest

from nko_openness.core.validators import (
    RegistrationNumberError,
    inn_check_digits,
    ogrn_check_digit,
    validate_inn,
    validate_kpp,
    validate_ogrn,
)

# Published registration data of large Russian legal entities and a sole trader.
VALID_INN = ["7707083893", "7728168971", "500100732259"]
VALID_OGRN = ["1027700132195", "1027739609391", "304500116000157"]


@pytest.mark.parametrize("value", VALID_INN)
def test_valid_inn_passes(value):
    assert validate_inn(value) == value


@pytest.mark.parametrize("value", VALID_OGRN)
def test_valid_ogrn_passes(value):
    assert validate_ogrn(value) == value


@pytest.mark.parametrize("value", VALID_INN)
def test_every_single_digit_change_is_caught_in_inn(value):
    # A 10-digit ИНН has one check digit: changing the last digit must always be caught.
    for digit in "0123456789":
        wrong = value[:-1] + digit
        if wrong != value:
            with pytest.raises(RegistrationNumberError, match="контрольная цифра"):
                validate_inn(wrong)


def test_ogrn_with_wrong_check_digit_is_refused_in_russian():
    with pytest.raises(RegistrationNumberError, match="ОГРН указан с ошибкой"):
        validate_ogrn("1027700132194")


@pytest.mark.parametrize("value", ["", "12345", "77070838931", "77O7083893"])
def test_inn_of_wrong_shape_names_the_expected_length(value):
    with pytest.raises(RegistrationNumberError, match="10 цифр"):
        validate_inn(value)


def test_ogrn_of_wrong_shape_is_refused():
    with pytest.raises(RegistrationNumberError, match="13 цифр"):
        validate_ogrn("10277001321")


def test_check_digit_helpers_round_trip():
    assert inn_check_digits("770708389") == "3"
    assert inn_check_digits("5001007322") == "59"
    assert ogrn_check_digit("102770013219") == "5"


@pytest.mark.parametrize("value", ["280401001", "7707AB001"])
def test_kpp_format(value):
    assert validate_kpp(value) == value


@pytest.mark.parametrize("value", ["28040100", "2804010011", "28040100A"])
def test_kpp_wrong_format_is_refused(value):
    with pytest.raises(RegistrationNumberError, match="КПП"):
        validate_kpp(value)
