"""One `pcnmo` parser: every command declares its own options and reports its own mistakes."""

from __future__ import annotations

import pytest

from tools.cli import main


def _exit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    captured = capsys.readouterr()
    return stopped.value.code, captured.out, captured.err


def test_a_stray_option_is_reported_with_that_commands_usage(capsys):
    code, _, err = _exit(capsys, "status", "--foo")
    assert code == 2
    assert err.startswith("usage: pcnmo status")
    assert "unrecognised arguments: --foo" in err
    assert "generate" not in err


def test_a_bad_value_is_reported_by_its_command(capsys):
    code, _, err = _exit(capsys, "generate", "--months", "many")
    assert code == 2
    assert err.startswith("usage: pcnmo generate")
    assert "--months: invalid int value: 'many'" in err


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "generate",
            (
                "--inbox",
                "--seed",
                "--start-month",
                "--months",
                "--pcns",
                "--clinical-pcns",
                "--patients",
                "--practices",
            ),
        ),
        ("bench", ("--tiers", "--national-rows", "--workdir", "--keep")),
        ("run", ("--month", "--full-refresh")),
        ("national-epd", ("--out", "--rows", "--month", "--seed")),
        ("ui", ("--host", "--port")),
    ],
)
def test_help_lists_every_option_of_the_command(capsys, command, options):
    code, out, _ = _exit(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: pcnmo {command}")
    for option in options:
        assert option in out


def test_top_level_help_lists_every_command(capsys):
    code, out, _ = _exit(capsys, "--help")
    assert code == 0
    for command in ("init-key", "generate", "run", "status", "docs", "ui", "bench", "national-epd"):
        assert command in out
