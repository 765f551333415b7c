"""`ecommerce-stream agents`: Faust's agent list, plus the relay's leader-only timers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faust.cli.agents import agents as faust_agents

from ecommerce_stream.outbox.agents import TIMERS


class agents(faust_agents):  # the class name is the command name
    """List agents and the outbox relay's timers."""

    async def run(self, local: bool) -> None:
        rows = [self.agent_to_row(agent) for agent in self.agents(local=local)]
        rows += [self._timer_row(timer, interval) for timer, interval in TIMERS]
        self.say(self.tabulate(rows, headers=self.headers, title=self.title))

    def _timer_row(self, timer: Any, interval: float) -> Sequence[str]:
        return [
            "@" + self.abbreviate_fqdn(f"{timer.__module__}.{timer.__name__}"),
            f"<timer every {interval:g}s, leader only>",
            (timer.__doc__ or "<N/A>").strip(),
        ]
