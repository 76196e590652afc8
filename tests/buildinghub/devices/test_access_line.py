"""Access attempts read as sentences (what the logbook shows)."""

from __future__ import annotations

from buildinghub.devices.access_line import access_line, locked_line, subject_text


def test_an_opening_names_the_person_the_place_and_the_method() -> None:
    line = access_line("Flat 1A", granted=True, method="fingerprint", reason="granted", who="Tess")
    assert str(line) == "Tess opened Flat 1A by fingerprint"
    assert (line.who, line.what) == ("Tess", "opened Flat 1A by fingerprint")


def test_a_refusal_says_why_in_words() -> None:
    line = access_line("Flat 1C", granted=False, method="fingerprint", reason="no_match", who=None)
    assert str(line) == "Someone was refused at Flat 1C: no match"
    named = access_line("Bay P1", granted=False, method="remote", reason="expired", who="Dana")
    assert str(named) == "Dana was refused at Bay P1: the grant has expired"


def test_an_unknown_reason_shows_only_its_code_letters() -> None:
    odd = access_line("Flat 1A", granted=False, method=None, reason="door_jammed", who="Tess")
    assert odd.what == "was refused at Flat 1A: door jammed"
    hostile = access_line("Flat 1A", granted=False, method=None, reason="<b>x</b>", who=" ")
    assert str(hostile) == "Someone was refused at Flat 1A: an unknown reason"


def test_a_lock_closing_reads_as_the_place_locked() -> None:
    assert str(locked_line("Bay P2")) == "Bay P2 locked"


def test_a_ledger_subject_without_a_name_reads_as_role_and_place() -> None:
    assert subject_text("tenant:flat-1c") == "Tenant (flat-1c)"
    assert subject_text("Tess") == "Tess"
