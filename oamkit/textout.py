"""Terminal tables and lines whose data stays data.

Rich reads `[...]` in any string it prints as markup: a host, interface, maintenance reason or
error message holding `[/b]` crashed the command (MarkupError, exit 1), and one holding
`[chg-4711]` or `[link=...]` lost that text without a word. Here a table's plain cells and
title are taken as typed; styled cells are `styled(value, style)`, and a line that mixes our
markup with data escapes the data (`rich.markup.escape`, re-exported as `data`)."""
from __future__ import annotations

from rich.markup import escape as data
from rich.table import Table
from rich.text import Text

__all__ = ["DataTable", "data", "styled"]


def styled(value: object, style: str) -> Text:
    """A table cell shown in `style`, its text as typed."""
    return Text(str(value), style=style)


class DataTable(Table):
    """A rich Table whose str cells and title are plain text, never markup."""

    def __init__(self, *columns, title: object = None, **options) -> None:
        super().__init__(*columns, title=Text(title) if isinstance(title, str) else title, **options)

    def add_row(self, *cells, **options) -> None:
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **options)
