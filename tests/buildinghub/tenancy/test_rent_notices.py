"""Rent notices: each due date announced once when it arrives, and once when it is overdue."""

from dataclasses import replace
from datetime import date

from buildinghub.tenancy.contract import LeaseTerms
from buildinghub.tenancy.rent_notices import (
    NoticeKind,
    NoticeMarks,
    RentNotice,
    next_unpaid,
    rent_notices,
    start_marks,
)

# The shared terms: due on the 31st (month-end otherwise), 15 January to 31 December 2026.
NONE = NoticeMarks(due=None, overdue=None)


def test_a_due_date_is_announced_on_its_day_and_not_again(terms: LeaseTerms) -> None:
    notices, marks = rent_notices(terms, date(2026, 2, 28), NONE, paid=())

    assert RentNotice(NoticeKind.DUE, date(2026, 2, 28)) in notices
    again, same = rent_notices(terms, date(2026, 2, 28), marks, paid=())
    assert again == []
    assert same == marks


def test_an_unpaid_due_date_is_overdue_three_days_later_once(terms: LeaseTerms) -> None:
    marks = NoticeMarks(due=date(2026, 2, 28), overdue=date(2026, 1, 31))

    early, marks = rent_notices(terms, date(2026, 3, 2), marks, paid=())
    late, marks = rent_notices(terms, date(2026, 3, 3), marks, paid=())
    again, _ = rent_notices(terms, date(2026, 3, 4), marks, paid=())

    assert early == []
    assert late == [RentNotice(NoticeKind.OVERDUE, date(2026, 2, 28))]
    assert again == []


def test_a_paid_due_date_is_never_overdue(terms: LeaseTerms) -> None:
    marks = NoticeMarks(due=date(2026, 2, 28), overdue=date(2026, 1, 31))

    notices, marks = rent_notices(terms, date(2026, 3, 10), marks, paid={date(2026, 2, 28)})

    assert notices == []
    assert marks.overdue == date(2026, 2, 28)


def test_after_days_off_only_the_latest_due_date_is_announced_and_each_unpaid_is_overdue(
    terms: LeaseTerms,
) -> None:
    marks = NoticeMarks(due=date(2026, 1, 31), overdue=date(2026, 1, 31))

    notices, marks = rent_notices(terms, date(2026, 4, 3), marks, paid=())

    assert notices == [
        RentNotice(NoticeKind.OVERDUE, date(2026, 2, 28)),
        RentNotice(NoticeKind.DUE, date(2026, 3, 31)),
        RentNotice(NoticeKind.OVERDUE, date(2026, 3, 31)),
    ]
    assert marks.due == date(2026, 3, 31)


def test_a_hub_taking_a_lease_on_answers_for_this_periods_rent_and_not_earlier(
    terms: LeaseTerms,
) -> None:
    marks = start_marks(terms, date(2026, 5, 10))

    notices, _ = rent_notices(terms, date(2026, 5, 10), marks, paid=())

    assert marks == NoticeMarks(
        due=date(2026, 3, 31), overdue=date(2026, 3, 31), since=date(2026, 4, 30)
    )
    assert notices == [
        RentNotice(NoticeKind.DUE, date(2026, 4, 30)),
        RentNotice(NoticeKind.OVERDUE, date(2026, 4, 30)),
    ]


def test_a_lease_installed_after_its_first_unpaid_due_date_shows_and_announces_it(
    terms: LeaseTerms,
) -> None:
    """The lease starts on the 1st, due on the 1st; the hub gets it on the 5th, unpaid."""
    first = replace(terms, start=date(2026, 12, 1), end=date(2027, 5, 31), due_day=1)
    marks = start_marks(first, date(2026, 12, 5))

    notices, marks = rent_notices(first, date(2026, 12, 5), marks, paid=())

    assert next_unpaid(first, marks, paid=()) == date(2026, 12, 1)
    assert notices == [
        RentNotice(NoticeKind.DUE, date(2026, 12, 1)),
        RentNotice(NoticeKind.OVERDUE, date(2026, 12, 1)),
    ]
    assert next_unpaid(first, marks, paid={date(2026, 12, 1)}) == date(2027, 1, 1)


def test_next_unpaid_is_the_oldest_unpaid_date_answered_for_and_ends_with_the_lease(
    terms: LeaseTerms,
) -> None:
    since_feb = NoticeMarks(due=None, overdue=None, since=date(2026, 2, 28))
    since_dec = NoticeMarks(due=None, overdue=None, since=date(2026, 12, 31))

    assert next_unpaid(terms, since_feb, paid=()) == date(2026, 2, 28)
    assert next_unpaid(terms, since_feb, paid={date(2026, 2, 28)}) == date(2026, 3, 31)
    assert next_unpaid(terms, NONE, paid=()) == date(2026, 1, 31)
    assert next_unpaid(terms, since_dec, paid={date(2026, 12, 31)}) is None
