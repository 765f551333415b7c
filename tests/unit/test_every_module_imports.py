"""Every module of the package imports: Faust's autodiscovery logs a module that fails to import
and goes on without its agents, timers and views, so a broken import would otherwise pass
unnoticed until an endpoint or a stream is found missing."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import ecommerce_stream

MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(ecommerce_stream.__path__, f"{ecommerce_stream.__name__}.")
    if not module.name.endswith(".__main__")  # runs the CLI
)


def test_the_package_has_its_domains() -> None:
    for domain in ("orders", "outbox", "analytics", "catalog", "events", "health", "stores"):
        assert f"ecommerce_stream.{domain}" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_a_module_that_fails_to_import_stops_the_discovery() -> None:
    """Faust would log it and start without the module's agents, timers and views."""
    from ecommerce_stream.app import AutodiscoveryFailed, app

    with pytest.raises(AutodiscoveryFailed, match=r"ecommerce_stream\.orders\.broken"):
        try:
            raise SyntaxError("a typo")
        except SyntaxError:
            app._on_autodiscovery_error("ecommerce_stream.orders.broken")
