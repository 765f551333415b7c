"""A production install (`pip install .`, no extras: the Dockerfile's) ships the app package only.
The app and its autodiscovery must import no benchmark code and none of the benchmark extra's
libraries, and log no import error on the way."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from ecommerce_stream.settings import PROJECT_ROOT

# Run in a fresh interpreter: the test session itself has imported bench modules. A finder in
# front of the others makes the modules a production install lacks fail to import, as they
# would there, and records the attempt; a root handler records every warning or error logged
# (Faust logs a module autodiscovery could not import, and goes on).
PROBE = """
import importlib.abc, json, logging, sys

absent = set(json.loads(sys.argv[1]))
attempted = []


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in absent:
            attempted.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


class Logged(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.name}: {record.getMessage()}")


sys.meta_path.insert(0, NotInstalled())
logged = Logged()
logging.getLogger().addHandler(logged)

from ecommerce_stream.app import app

app.finalize()
app.discover()
print(json.dumps({
    "attempted": attempted,
    "bench_modules": sorted(m for m in sys.modules if "bench" in m.split(".")),
    "logged": logged.lines,
    "discovered": sorted(m for m in sys.modules if m.startswith("ecommerce_stream.")),
}))
"""


def _bench_extra_modules() -> set[str]:
    """The top-level modules of the `bench` extra's distributions (py-spy installs a program
    and no module), read from pyproject.toml so that a new benchmark dependency is covered."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    extra = pyproject["project"]["optional-dependencies"]["bench"]
    names = {re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower() for requirement in extra}
    return {
        module
        for module, distributions in packages_distributions().items()
        if any(distribution.lower() in names for distribution in distributions)
    }


def test_the_app_and_its_autodiscovery_import_no_benchmark_code(tmp_path: Path) -> None:
    absent = {"bench", *_bench_extra_modules()}
    assert {"psutil", "matplotlib"} <= absent
    # Outside the checkout, as in production, where bench/ is not beside the app.
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(sorted(absent))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    # Proof the probe ran the discovery: the domain packages' views and agents were imported.
    assert {"ecommerce_stream.orders.views", "ecommerce_stream.outbox.timers"} <= set(
        found["discovered"]
    )
    assert found["attempted"] == []
    assert found["bench_modules"] == []
    assert found["logged"] == []
