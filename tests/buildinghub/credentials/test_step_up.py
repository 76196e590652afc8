"""Step-up codes: one person, one action, one target, once, briefly."""

import pytest

from buildinghub.credentials.step_up import STEP_UP_TRIES, StepUpBook, StepUpRefused

from .conftest import NOW, SettableClock


@pytest.fixture
def book(clock: SettableClock) -> StepUpBook:
    return StepUpBook(clock)


def test_the_right_code_confirms_once(book: StepUpBook) -> None:
    code = book.issue("manager", "freeze", "abc")

    book.confirm("manager", "freeze", "abc", code)

    with pytest.raises(StepUpRefused, match="no confirmation"):
        book.confirm("manager", "freeze", "abc", code)


def test_a_code_is_bound_to_its_person_action_and_target(book: StepUpBook) -> None:
    code = book.issue("manager", "freeze", "abc")

    for person, action, target in (
        ("other", "freeze", "abc"),
        ("manager", "remove", "abc"),
        ("manager", "freeze", "xyz"),
    ):
        with pytest.raises(StepUpRefused):
            book.confirm(person, action, target, code)
    book.confirm("manager", "freeze", "abc", code)


def test_an_expired_code_is_refused(book: StepUpBook, clock: SettableClock) -> None:
    code = book.issue("manager", "freeze", "abc")
    clock.time = NOW + 120

    with pytest.raises(StepUpRefused, match="expired"):
        book.confirm("manager", "freeze", "abc", code)


def test_wrong_codes_use_the_confirmation_up(book: StepUpBook) -> None:
    code = book.issue("manager", "freeze", "abc")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(STEP_UP_TRIES):
        with pytest.raises(StepUpRefused, match="wrong"):
            book.confirm("manager", "freeze", "abc", wrong)

    with pytest.raises(StepUpRefused, match="no confirmation"):
        book.confirm("manager", "freeze", "abc", code)
