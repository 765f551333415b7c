"""Progress bars of long commands and the benchmark: drawn on a terminal only. Redirected to a
file or a pipe they stay silent, or every refresh would land in the log as another line."""

from __future__ import annotations

from typing import Any

from tqdm import tqdm


def progress_bar(**options: Any) -> tqdm[Any]:
    # tqdm's own rule for disable=None: off unless the output stream is a terminal.
    return tqdm(disable=None, **options)
