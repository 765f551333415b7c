"""`ecommerce-stream agents`: Faust's agent list, plus every timer the app defines."""

from __future__ import annotations

from collections.abc import Sequence

from faust.cli.agents import agents as faust_agents

from ecommerce_stream.app import DefinedTimer, app


class agents(faust_agents):  # the class name is the command name
    """List agents and timers."""

    async def run(self, local: bool) -> None:
        rows = [self.agent_to_row(agent) for agent in self.agents(local=local)]
        rows += [self._timer_row(timer) for timer in app.defined_timers]
        self.say(self.tabulate(rows, headers=self.headers, title=self.title))

    def _timer_row(self, timer: DefinedTimer) -> Sequence[str]:
        where = ", leader only" if timer.on_leader else ""
        return [
            "@" + self.abbreviate_fqdn(f"{timer.function.__module__}.{timer.function.__name__}"),
            f"<timer every {timer.interval:g}s{where}>",
            (timer.function.__doc__ or "<N/A>").strip(),
        ]
