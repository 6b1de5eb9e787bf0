"""One router module per noun. A module here that defines `router` is served: adding routes is adding a file."""

import importlib
import pkgutil
from types import ModuleType


def discover() -> list[ModuleType]:
    """Every route module, in name order (routes do not overlap, so the order does not matter)."""
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    return [m for m in modules if hasattr(m, "router")]
