"""Progress bars draw on a terminal only: a log file gets none of their refreshes."""

from __future__ import annotations

import io

from ecommerce_stream.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _drawn_to(stream: io.StringIO) -> str:
    with progress_bar(total=1000, file=stream, mininterval=0) as bar:
        for _ in range(1000):
            bar.update(1)
    return stream.getvalue()


def test_a_file_or_pipe_gets_nothing() -> None:
    assert _drawn_to(io.StringIO()) == ""


def test_a_terminal_gets_the_bar() -> None:
    assert "1000/1000" in _drawn_to(Terminal())
