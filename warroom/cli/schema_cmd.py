"""`warroom schema`: print the canonical schema, as a table per table or as JSON."""

import orjson
import typer
from rich.console import Console
from rich.table import Table as RichTable

from warroom.cli import app
from warroom.schema import TABLES, get_table, schema_as_dict


@app.command()
def schema(
    table: str = typer.Argument(None, help="Show only this table."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Print the canonical tables: columns, types, keys, enums, PII and money columns."""
    tables = [get_table(table)] if table else list(TABLES.values())
    if as_json:
        doc = {"tables": [t.to_dict() for t in tables]} if table else schema_as_dict()
        print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    for t in tables:
        grid = RichTable(title=f"{t.name} ({t.kind}) key: {', '.join(t.key) or '-'}", title_justify="left")
        for head in ("column", "type", "required", "rule", "description"):
            grid.add_column(head)
        for c in t.columns:
            rule = []
            if c.enum:
                rule.append("one of " + "|".join(c.enum))
            if c.minimum is not None or c.maximum is not None:
                rule.append(f"[{c.minimum}, {c.maximum}]")
            if c.pii:
                rule.append("PII")
            grid.add_row(c.name, c.type.duckdb, "yes" if c.required else "", "; ".join(rule), c.description)
        console.print(grid)
