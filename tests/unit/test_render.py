"""roarctl's text helpers: commands quoted for a shell, text fitted at word boundaries."""
from __future__ import annotations

from roarctl.render import command_line, fit


def test_command_line_quotes_what_a_shell_would_split():
    assert command_line(["python", "train.py", "--lr", "0.1"]) == "python train.py --lr 0.1"
    assert command_line(["bash", "-c", "a | b"]) == "bash -c 'a | b'"
    assert command_line(["echo", "it's"]) == "echo 'it'\"'\"'s'"


def test_fit_cuts_at_a_word_boundary_and_marks_the_cut():
    assert fit("short", 10) == "short"
    assert fit("python train.py --epochs 10", 20) == "python train.py…"
    assert len(fit("python train.py --epochs 10", 20)) <= 20


def test_fit_cuts_a_single_long_word_mid_word():
    assert fit("a" * 50, 10) == "a" * 9 + "…"
