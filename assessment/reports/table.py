"""A report table as plain data: built once by a section (privacy, realism) and drawn both
by the exported HTML report (:func:`table_html`) and by the staff dashboard's template
(``assessment/reports/_table.html``), so the two always show the same columns, numbers
and notes."""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, a CSS class naming what it holds and an optional link."""

    text: str
    css_class: str = ""
    href: str = ""


@dataclass(frozen=True)
class Row:
    """One row and the ``data-*`` attributes that identify it (e.g. ``{"screen": "4"}``)."""

    cells: tuple[Cell, ...]
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """A titled table with its notes, or the sentence ``empty`` when it has no rows."""

    element_id: str
    title: str
    head: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...]
    empty: str


def table_html(table: Table) -> str:
    """The table as HTML: the same <table> markup the dashboard's template writes (notes
    styled as the report's, 'note' where the dashboard has 'hint')."""
    title = f"<h2>{html.escape(table.title)}</h2>"
    if not table.rows:
        return f'{title}<p id="no-{table.element_id}">{html.escape(table.empty)}</p>'
    header = "".join(f"<th>{html.escape(cell)}</th>" for cell in table.head)
    body = "".join(_row_html(row) for row in table.rows)
    notes = "".join(f'<p class="note">{html.escape(note)}</p>' for note in table.notes)
    return (
        f'{title}<table class="data" id="{table.element_id}"><thead><tr>{header}</tr></thead>'
        f"<tbody>{body}</tbody></table>{notes}"
    )


def number(value: float | None, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals, or 'n/a'."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def _row_html(row: Row) -> str:
    data = "".join(f' data-{name}="{html.escape(value)}"' for name, value in row.data.items())
    return f"<tr{data}>" + "".join(_cell_html(cell) for cell in row.cells) + "</tr>"


def _cell_html(cell: Cell) -> str:
    text = html.escape(cell.text)
    if cell.href:
        text = f'<a href="{html.escape(cell.href)}">{text}</a>'
    css = f' class="{html.escape(cell.css_class)}"' if cell.css_class else ""
    return f"<td{css}>{text}</td>"
