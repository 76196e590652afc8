"""Rent notices (SPEC R10): which due and overdue notices a day brings, each given once.

A hub announces rent from the contract's schedule (rent.due_dates). It remembers the last due
date it announced as due and the last it announced as overdue, so a restart, a missed day or a
second look on the same day never repeats a notice. A hub that takes a lease on answers from
the latest due date that has arrived (this period's rent, which may still be unpaid) onward;
earlier ones fell due before the hub held the contract and are never announced (start_marks).

Only the most recent due date that arrived is announced as due: if the hub was off across
several, the older ones are covered by their overdue notices. A due date is overdue once
OVERDUE_AFTER has passed with no payment for it; each unpaid one is announced once.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from .contract import LeaseTerms
from .rent import due_dates

OVERDUE_AFTER: Final = timedelta(days=3)


class NoticeKind(StrEnum):
    """What a notice says about a due date."""

    DUE = "rent_due"
    OVERDUE = "rent_overdue"


@dataclass(frozen=True, slots=True)
class RentNotice:
    """One notice to give: a due date and what it says about it."""

    kind: NoticeKind
    due: date


@dataclass(frozen=True, slots=True)
class NoticeMarks:
    """The last due date announced as due, and as overdue (None: none yet), and the first due
    date the hub answers for (None: every one of the lease)."""

    due: date | None
    overdue: date | None
    since: date | None = None


def start_marks(terms: LeaseTerms, today: date) -> NoticeMarks:
    """Marks for a lease the hub takes on today: it answers from the latest due date that has
    arrived (else the first ahead); nothing before that will be announced."""
    dates = list(due_dates(terms))
    arrived = [due for due in dates if due <= today]
    since = arrived[-1] if arrived else next(iter(dates), None)
    before = [due for due in dates if since is not None and due < since]
    last = before[-1] if before else None
    return NoticeMarks(due=last, overdue=last, since=since)


def rent_notices(
    terms: LeaseTerms,
    today: date,
    marks: NoticeMarks,
    *,
    paid: Collection[date],
    overdue_after: timedelta = OVERDUE_AFTER,
) -> tuple[list[RentNotice], NoticeMarks]:
    """The notices today brings, in date order, and the marks once they are given."""
    notices: list[RentNotice] = []
    arrived = [due for due in due_dates(terms) if due <= today]
    if arrived and (marks.due is None or arrived[-1] > marks.due):
        notices.append(RentNotice(NoticeKind.DUE, arrived[-1]))
    overdue = marks.overdue
    for due in arrived:
        if due + overdue_after > today or (overdue is not None and due <= overdue):
            continue
        if due not in paid:
            notices.append(RentNotice(NoticeKind.OVERDUE, due))
        overdue = due
    notices.sort(key=lambda notice: (notice.due, notice.kind != NoticeKind.DUE))
    last_due = arrived[-1] if arrived else None
    if marks.due is not None and (last_due is None or marks.due > last_due):
        last_due = marks.due
    return notices, NoticeMarks(due=last_due, overdue=overdue, since=marks.since)


def next_unpaid(terms: LeaseTerms, marks: NoticeMarks, paid: Collection[date]) -> date | None:
    """The first due date the hub answers for that is not paid yet, however long ago it fell
    due (None: the lease has none left)."""
    return next(
        (
            due
            for due in due_dates(terms)
            if (marks.since is None or due >= marks.since) and due not in paid
        ),
        None,
    )
