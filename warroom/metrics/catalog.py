"""The metric catalog: catalog.yaml parsed into frozen dataclasses, validated all at once.

`check_catalog(text, source)` returns every problem with its file:line and path (for `warroom metrics
--check`); `load_catalog()` parses the packaged catalog once per process and raises CatalogError listing
all problems if there are any.
"""

import ast
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from warroom.errors import UserError
from warroom.metrics import expr as ex
from warroom.schema import READABLE

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
AGGS = ("sum", "count", "count_distinct", "min", "max", "avg", "percentile")
UNITS = ("CNY", "count", "ratio", "ms", "pct", "per_s", "mbps")
FORMATS = ("money", "integer", "percent", "decimal")
OWNERS = ("ops", "finance", "tech")
SENSITIVITIES = ("public", "finance", "pii")  # lowest first
METRIC_TYPES = ("simple", "ratio", "derived", "cumulative")
BUCKET_SECONDS = "bucket_seconds"  # the one name derived metrics may use besides metrics
_KEYS = {
    "type", "table", "agg", "expr", "filter", "time", "percentile", "numerator", "denominator", "metric", "window",
    "label_zh", "label_en", "description_zh", "description_en", "unit", "format", "owner", "sensitivity",
}  # fmt: skip
_COMMON = (
    "label_zh",
    "label_en",
    "description_zh",
    "description_en",
    "unit",
    "format",
    "owner",
    "sensitivity",
)


@dataclass(frozen=True)
class Join:
    source: str
    target: str
    on: tuple[str, ...]


@dataclass(frozen=True)
class Dimension:
    name: str
    label_zh: str
    label_en: str
    on: dict[str, ast.expr] = field(hash=False)  # table -> expression giving the dimension on that table
    on_text: dict[str, str] = field(hash=False)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricRef:
    """A ratio side: a metric, optionally computed without some dimensions (a share of a larger total)."""

    metric: str
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metric:
    name: str
    type: str
    label_zh: str
    label_en: str
    description_zh: str
    description_en: str
    unit: str
    format: str
    owner: str
    sensitivity: str
    # simple
    table: str | None = None
    agg: str | None = None
    expr: ast.expr | None = field(default=None, hash=False, compare=False)
    filter: ast.expr | None = field(default=None, hash=False, compare=False)
    time: ast.expr | None = field(default=None, hash=False, compare=False)
    percentile: float | None = None
    # ratio
    numerator: MetricRef | None = None
    denominator: MetricRef | None = None
    # cumulative
    base: str | None = None
    window: str | None = None
    text: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def describe(self) -> dict:
        """What a person or a client needs to know of the metric: labels, unit, format, owner, definition."""
        return (
            {"name": self.name, "type": self.type}
            | {k: getattr(self, k) for k in _COMMON}
            | {"definition": self.text}
        )


@dataclass(frozen=True)
class Catalog:
    metrics: dict[str, Metric] = field(hash=False)
    dimensions: dict[str, Dimension] = field(hash=False)
    joins: dict[tuple[str, str], Join] = field(hash=False)
    parameters: dict[str, Decimal] = field(hash=False)
    parameter_docs: dict[str, str] = field(hash=False)
    # Parameters that vary by a key (commission by category): key -> value; `parameters` holds the fallback.
    parameter_by: dict[str, dict[str, Decimal]] = field(default_factory=dict, hash=False)

    def dimension(self, name: str) -> Dimension | None:
        """A dimension by name or alias (channel_id -> channel)."""
        if name in self.dimensions:
            return self.dimensions[name]
        return next((d for d in self.dimensions.values() if name in d.aliases), None)

    def leaves(self, metric: str, ignore: tuple[str, ...] = ()) -> list[tuple[Metric, tuple[str, ...]]]:
        """The simple metrics (with the dimensions each ignores) a metric is computed from."""
        m = self.metrics[metric]
        if m.type == "simple":
            return [(m, ignore)]
        if m.type == "cumulative":
            return self.leaves(m.base, ignore)  # type: ignore[arg-type]
        if m.type == "ratio":
            n, d = m.numerator, m.denominator
            return self.leaves(n.metric, ignore + n.ignore) + self.leaves(d.metric, ignore + d.ignore)  # type: ignore[union-attr]
        return [leaf for dep in self.depends_on(metric) for leaf in self.leaves(dep, ignore)]

    def depends_on(self, metric: str) -> list[str]:
        m = self.metrics[metric]
        if m.type == "ratio":
            return [m.numerator.metric, m.denominator.metric]  # type: ignore[union-attr]
        if m.type == "cumulative":
            return [m.base]  # type: ignore[list-item]
        if m.type == "derived" and m.expr is not None:
            return [p[0] for p in ex.names(m.expr) if p[0] != BUCKET_SECONDS]  # type: ignore[arg-type]
        return []


class CatalogError(UserError):
    """A catalog with problems; `problems` lists all of them as 'file:line: path: message'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the metric catalog; fix them:\n{lines}")


@lru_cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """The catalog, parsed once per process; CatalogError lists every problem at once."""
    catalog, problems = check_catalog(path.read_text(encoding="utf-8"), str(path))
    if problems or catalog is None:
        raise CatalogError(problems)
    return catalog


def check_catalog(text: str, source: str) -> tuple[Catalog | None, list[str]]:
    """Parse and validate a catalog document; returns (catalog or None, every problem found)."""
    return _Parser(text, source).run()


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.problems: list[str] = []
        self.lines: dict[str, int] = {}
        self.keyed: set[str] = set()  # parameters with `by` values

    def problem(self, path: str, message: str) -> None:
        line = self.lines.get(path) or self.lines.get(path.rsplit(".", 1)[0]) or 0
        self.problems.append(f"{self.source}:{line}: {path}: {message}")

    def run(self) -> tuple[Catalog | None, list[str]]:
        try:
            node = yaml.compose(self.text)
            doc = yaml.safe_load(self.text)
        except yaml.YAMLError as exc:
            return None, [f"{self.source}: not valid YAML: {exc}"]
        if not isinstance(doc, dict):
            return None, [
                f"{self.source}:1: the catalog must be a mapping of parameters, joins, dimensions, metrics"
            ]
        _record_lines(node, "", self.lines)
        params, docs, by = self.parameters(doc.get("parameters") or {})
        self.keyed = set(by)
        joins = self.joins(doc.get("joins") or [])
        dims = self.dimensions(doc.get("dimensions") or {}, joins)
        metrics = self.metrics(doc.get("metrics") or {}, joins, params)
        catalog = Catalog(metrics, dims, joins, params, docs, by)
        self.cross_checks(catalog)
        return (None if self.problems else catalog), self.problems

    def parameters(
        self, raw: dict
    ) -> tuple[dict[str, Decimal], dict[str, str], dict[str, dict[str, Decimal]]]:
        values, docs, by = {}, {}, {}
        for name, spec in raw.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("value"), int | float):
                self.problem(f"parameters.{name}", "needs {value: <number>, description: <text>}")
                continue
            values[name] = Decimal(repr(spec["value"]))
            docs[name] = str(spec.get("description", ""))
            if not docs[name]:
                self.problem(f"parameters.{name}", "needs a description (where the value comes from)")
            unknown = set(spec) - {"value", "description", "by"}
            if unknown:
                self.problem(f"parameters.{name}", f"unknown key(s) {', '.join(sorted(unknown))}")
            if "by" in spec:
                table = spec["by"]
                if not (
                    isinstance(table, dict)
                    and table
                    and all(isinstance(v, int | float) for v in table.values())
                ):
                    self.problem(f"parameters.{name}.by", "needs a mapping of key -> number")
                    continue
                by[name] = {str(k): Decimal(repr(v)) for k, v in table.items()}
        return values, docs, by

    def check_params(self, tree: ast.expr, path: str, params: dict) -> None:
        for p, keyed in ex.params(tree):
            if p not in params:
                self.problem(path, f"unknown parameter {p!r}")
            elif keyed and p not in self.keyed:
                self.problem(path, f"parameter {p!r} has no `by` values: read it as param({p!r})")
            elif not keyed and p in self.keyed:
                self.problem(path, f"parameter {p!r} varies by key: read it as param({p!r}, <column>)")

    def joins(self, raw: list) -> dict[tuple[str, str], Join]:
        out = {}
        for i, spec in enumerate(raw):
            path = f"joins[{i}]"
            src, dst, on = spec.get("from"), spec.get("to"), tuple(spec.get("using") or ())
            bad = [t for t in (src, dst) if t not in READABLE]
            if bad or not on:
                self.problem(path, f"needs from/to canonical tables and using columns (unknown: {bad})")
                continue
            missing = [c for c in on if not (READABLE[src].has(c) and READABLE[dst].has(c))]
            if missing:
                self.problem(path, f"join columns {missing} are not in both {src} and {dst}")
            if tuple(READABLE[dst].key) != on:
                self.problem(
                    path, f"{dst} is not unique on {list(on)} (its key is {list(READABLE[dst].key)})"
                )
            out[(src, dst)] = Join(src, dst, on)
        return out

    def check_expr(self, text: Any, table: str, joins: dict, path: str) -> ast.expr | None:
        try:
            tree = ex.parse(text)
        except ex.ExprError as exc:
            self.problem(path, str(exc))
            return None
        for name in ex.names(tree):
            current = table
            for hop in name[:-1]:
                if (current, hop) not in joins:
                    self.problem(path, f"no join from {current} to {hop} (declare it under joins)")
                    break
                current = hop
            else:
                if not READABLE[current].has(name[-1]):
                    self.problem(path, f"{'.'.join(name)}: {current} has no column {name[-1]!r}")
        return tree

    def dimensions(self, raw: dict, joins: dict) -> dict[str, Dimension]:
        out = {}
        for name, spec in raw.items():
            path = f"dimensions.{name}"
            if name == "time":
                self.problem(path, "'time' is the built-in time dimension (use grain)")
            on, texts = {}, {}
            for table, text in (spec.get("via") or {}).items():
                if table not in READABLE:
                    self.problem(f"{path}.via.{table}", f"{table!r} is not a canonical table")
                    continue
                tree = self.check_expr(text, table, joins, f"{path}.via.{table}")
                if tree is not None:
                    on[table], texts[table] = tree, str(text)
            if not on:
                self.problem(path, "needs `via`: the expression per table that gives it")
            for key in ("label_zh", "label_en"):
                if not spec.get(key):
                    self.problem(path, f"needs {key}")
            out[name] = Dimension(
                name,
                spec.get("label_zh", ""),
                spec.get("label_en", ""),
                on,
                texts,
                tuple(spec.get("aliases", ())),
            )
        return out

    def metrics(self, raw: dict, joins: dict, params: dict) -> dict[str, Metric]:
        out = {}
        for name, spec in raw.items():
            path = f"metrics.{name}"
            if not isinstance(spec, dict):
                self.problem(path, "must be a mapping")
                continue
            for key, allowed in (
                ("type", METRIC_TYPES), ("unit", UNITS), ("format", FORMATS), ("owner", OWNERS),
                ("sensitivity", SENSITIVITIES),
            ):  # fmt: skip
                if spec.get(key) not in allowed:
                    self.problem(f"{path}.{key}", f"{spec.get(key)!r} is not one of {', '.join(allowed)}")
            for key in _COMMON[:4]:
                if not spec.get(key):
                    self.problem(path, f"needs {key}")
            unknown = sorted(str(k) for k in set(spec) - _KEYS)
            if unknown:
                self.problem(path, f"unknown keys {unknown} (quote text holding a comma in flow style)")
            common = {k: str(spec.get(k, "")) for k in _COMMON}
            kind, extra = spec.get("type"), {}
            texts = {k: str(spec[k]) for k in ("expr", "filter", "time") if k in spec}
            if kind == "simple":
                extra = self.simple(spec, path, joins, params, texts)
            elif kind == "ratio":
                extra = {"numerator": self.ref(spec.get("numerator"), f"{path}.numerator"),
                         "denominator": self.ref(spec.get("denominator"), f"{path}.denominator")}  # fmt: skip
            elif kind == "derived":
                extra = {"expr": self.check_expr_params(spec.get("expr"), path, params)}
            elif kind == "cumulative":
                if spec.get("window") != "day":
                    self.problem(f"{path}.window", "the only window is 'day' (since local midnight)")
                extra = {"base": spec.get("metric"), "window": "day"}
            out[name] = Metric(name=name, type=str(kind), text=texts, **common, **extra)  # type: ignore[arg-type]
        return out

    def check_expr_params(self, text: Any, path: str, params: dict) -> ast.expr | None:
        try:
            tree = ex.parse(text)
        except ex.ExprError as exc:
            self.problem(f"{path}.expr", str(exc))
            return None
        self.check_params(tree, f"{path}.expr", params)
        return tree

    def simple(self, spec: dict, path: str, joins: dict, params: dict, texts: dict[str, str]) -> dict:
        table, agg = spec.get("table"), spec.get("agg")
        if table not in READABLE:
            self.problem(f"{path}.table", f"{table!r} is not a canonical table")
            return {}
        if agg not in AGGS:
            self.problem(f"{path}.agg", f"{agg!r} is not one of {', '.join(AGGS)}")
        out: dict[str, Any] = {"table": table, "agg": agg}
        if agg != "count" and "expr" not in spec:
            self.problem(path, f"agg {agg} needs expr")
        if agg == "percentile":
            q = spec.get("percentile")
            if not isinstance(q, float) or not 0 < q < 1:
                self.problem(f"{path}.percentile", "needs percentile between 0 and 1, e.g. 0.99")
            out["percentile"] = q
        time_text = spec.get("time", READABLE[table].time_column)
        texts["time"] = str(time_text)
        if time_text is None:
            self.problem(path, f"table {table} has no time column; say which with time:")
        for key, text in (("expr", spec.get("expr")), ("filter", spec.get("filter")), ("time", time_text)):
            if text is not None:
                out[key] = self.check_expr(text, table, joins, f"{path}.{key}")
                if out[key] is not None:
                    self.check_params(out[key], f"{path}.{key}", params)
        return out

    def ref(self, raw: Any, path: str) -> MetricRef | None:
        if isinstance(raw, str):
            return MetricRef(raw)
        if isinstance(raw, dict) and isinstance(raw.get("metric"), str):
            return MetricRef(raw["metric"], tuple(raw.get("ignore") or ()))
        self.problem(path, "needs a metric name or {metric: name, ignore: [dimensions]}")
        return None

    def cross_checks(self, catalog: Catalog) -> None:
        """Names that must exist, no cycles, sensitivity at least that of every input."""
        names = set(catalog.metrics)
        for m in catalog.metrics.values():
            path = f"metrics.{m.name}"
            if m.type == "ratio" and (m.numerator is None or m.denominator is None):
                continue
            if m.type == "derived" and m.expr is None:
                continue
            for dep in catalog.depends_on(m.name) if m.type != "simple" else []:
                if dep not in names:
                    self.problem(path, f"refers to unknown metric {dep!r}")
            if m.type == "cumulative" and m.base in names and catalog.metrics[m.base].type != "simple":  # type: ignore[index]
                self.problem(path, "a cumulative metric sums a simple metric")
            for side in (m.numerator, m.denominator):
                if side and side.ignore:
                    bad = [d for d in side.ignore if catalog.dimension(d) is None]
                    if bad:
                        self.problem(path, f"ignores unknown dimensions {bad}")
        for name in names:
            if self._cycle(catalog, name, ()):
                self.problem(f"metrics.{name}", "depends on itself")
                continue
            if self.problems:
                continue
            mine = SENSITIVITIES.index(catalog.metrics[name].sensitivity)
            for dep in catalog.depends_on(name):
                if SENSITIVITIES.index(catalog.metrics[dep].sensitivity) > mine:
                    self.problem(
                        f"metrics.{name}.sensitivity",
                        f"is {catalog.metrics[name].sensitivity} but uses {dep} "
                        f"({catalog.metrics[dep].sensitivity}): it would leak it",
                    )

    def _cycle(self, catalog: Catalog, name: str, seen: tuple[str, ...]) -> bool:
        if name in seen:
            return True
        if name not in catalog.metrics:
            return False
        return any(self._cycle(catalog, d, (*seen, name)) for d in catalog.depends_on(name))


def _record_lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    """Dotted path -> 1-based line of every mapping value in the composed YAML."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _record_lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            out[child] = item.start_mark.line + 1
            _record_lines(item, child, out)
