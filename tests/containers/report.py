"""What the container tests found, per app and service, printed at the end of the pytest run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    built: str = "-"
    health: str = "-"
    sigterm: str = "-"
    compose: str = "-"
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Report:
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.standins: list[str] = []
        self.sections: dict[str, str] = {}

    def row(self, key: str) -> Row:
        return self.rows.setdefault(key, Row())

    def lines(self) -> list[str]:
        if not (self.rows or self.standins or self.sections):
            return []
        out = ["stand-ins:", *(f"  {line}" for line in self.standins)]
        header = ("app/service", "built", "health ok", "stopped on SIGTERM within grace", "compose healthy")
        table = [header, *((k, r.built, r.health, r.sigterm, r.compose) for k, r in sorted(self.rows.items()))]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        out += ["", *("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                      for row in table)]
        notes = [f"  {k}: {note}" for k, r in sorted(self.rows.items()) for note in r.notes]
        out += ["", "notes:", *notes] if notes else []
        for title, text in self.sections.items():
            out += ["", f"{title}:", *(f"  {line}" for line in text.splitlines())]
        return out


REPORT = Report()


def seconds(value: float) -> str:
    return f"{value:.1f}s"
