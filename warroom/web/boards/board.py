"""What a board is: a name, a page, and a function from (warehouse, now, viewer, filters) to a snapshot."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from warroom.metrics import Principal
from warroom.warehouse import Warehouse


@dataclass(frozen=True)
class BoardRequest:
    """Everything a snapshot may depend on. Two viewers with equal requests see the same snapshot."""

    warehouse: Warehouse
    now: datetime
    tz: ZoneInfo
    principal: Principal
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Board:
    name: str  # used in /api/v1/boards/<name> and /api/v1/live/<name>
    path: str  # the page's URL
    template: str
    title: dict[str, str]  # {"zh": ..., "en": ...}: the page title and its navigation label
    snapshot: Callable[[BoardRequest], dict]
    filters: tuple[str, ...] = ()  # query-string keys the board accepts; any other key is a 400
    text: dict[str, dict[str, str]] = field(default_factory=dict)  # the page's own strings, zh and en
    nav: bool = True  # shown in the top navigation
    order: int = 50  # position in the navigation: overview 0, team boards 10-30, the big screen last
    needs: str | None = None  # a metric sensitivity the viewer must hold to find the board in the navigation
