"""What a board is: a name, a page, and a function from (warehouse, now, viewer, filters, range) to a snapshot.

A team board is made of panels: each panel's figures come from one function of the request, so a single
panel can be computed alone (its CSV, the SQL it ran) and the snapshot is every panel's value under its key.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from warroom.metrics import Principal
from warroom.warehouse import Warehouse
from warroom.web.boards.timerange import RangeSpec, TimeRange


@dataclass(frozen=True)
class BoardRequest:
    """Everything a snapshot may depend on. Two viewers with equal requests see the same snapshot."""

    warehouse: Warehouse
    now: datetime
    tz: ZoneInfo
    principal: Principal
    filters: Mapping[str, str] = field(default_factory=dict)
    range: RangeSpec = field(default_factory=RangeSpec)
    # Panels that share a computation (traffic and the channel mix read one traffic() call) find it here;
    # it lives as long as the request, so one refresh never reads the same figures twice.
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    fresh: bool = False  # True: skip caches kept across refreshes (to record every statement a panel runs)
    sale_day: tuple[int, int] = (11, 11)  # (month, day) of the sale, local (WARROOM_SALE_DAY)

    @property
    def window(self) -> TimeRange:
        return self.range.resolve(self.now, self.tz)

    def shared(self, name: str, compute: Callable[[], Any]) -> Any:
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]


@dataclass(frozen=True)
class Panel:
    compute: Callable[[BoardRequest], Any]
    # Follows the page's time range; a panel that keeps its own window says which and why (zh/en), and the
    # page shows it under the panel.
    fixed: dict[str, str] | None = None
    table: Callable[[Any], list[dict]] | None = None  # its data as CSV rows; default: tabulate.rows_of
    needs: str | None = None  # a metric sensitivity the viewer must hold (checked before computing)


def composed(
    head: Callable[[BoardRequest], dict], panels: Mapping[str, Panel]
) -> Callable[[BoardRequest], dict]:
    """A snapshot function: the board's own keys (now, options, the range) and every panel's value."""

    def snapshot(req: BoardRequest) -> dict:
        snap = head(req)
        snap["range"] = req.window.describe()
        for key, panel in panels.items():
            snap[key] = panel.compute(req)
        return snap

    return snapshot


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
    panels: Mapping[str, Panel] = field(default_factory=dict)  # a team board's panels, by snapshot key
    ranged: bool = False  # takes ?range= or ?from=&to= (timerange.PARAMS), shared by its panels
    default_range: str = "today"  # the preset shown without ?range=
