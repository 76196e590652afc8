"""The command line: every option documented, a bad database URL refused clearly."""

from __future__ import annotations

import pytest

from cloud_connector.__main__ import main


def test_serve_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])

    text = capsys.readouterr().out
    for option in ("--db", "--host", "--port", "--key", "--payment-secret-file"):
        assert option in text


def test_an_unsupported_database_is_refused_with_the_forms_accepted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["enrol", "--db", "mysql://x/y", "--building", "B"]) == 2

    assert "use sqlite:///PATH or postgresql://" in capsys.readouterr().err


def test_enrol_prints_a_token(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enrol", "--db", f"sqlite:///{tmp_path}/c.db", "--building", "Elm Court"]) == 0

    assert len(capsys.readouterr().out.strip()) >= 20
