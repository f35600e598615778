"""``jiliang draw``: make and verify the "double random, one public" draw (双随机、一公开)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from jiliang.supervision.draw import DrawError, draw, verify

console = Console(stderr=True)
draw_app = typer.Typer(
    help="The verifiable draw of targets and inspectors (双随机、一公开).", no_args_is_help=True
)
commands: list[tuple[str, typer.Typer]] = [("draw", draw_app)]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]{message}[/red]", markup=True, highlight=False)
    raise typer.Exit(code)


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{path}: cannot read ({exc.strerror or exc})")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _fail(f"{path}: not valid JSON ({exc})")


@draw_app.command("verify")
def verify_command(
    path: Annotated[Path, typer.Argument(metavar="DRAW.json", help="a published draw document")],
    as_json: JsonOpt = False,
    show_list: Annotated[
        bool, typer.Option("--list", help="When valid, print the re-run list of targets and inspectors.")
    ] = False,
) -> None:
    """Re-run a published draw from its seed and snapshot; exit 0 if valid, 1 if not."""
    document = _read_json(path)
    result = verify(document)
    if as_json:
        typer.echo(json.dumps({"valid": result.ok, "reasons": result.reasons}, ensure_ascii=False))
    else:
        typer.echo("valid" if result.ok else "invalid")
        for reason in result.reasons:
            typer.echo(f"  - {reason}")
        if result.ok and show_list:
            for line in selection_lines(document):
                typer.echo(line)
    raise typer.Exit(0 if result.ok else 1)


def selection_lines(document: dict) -> list[str]:
    """The drawn list as text: ``1. target-id name: inspector-id name, ...`` (a verified document)."""
    names = {
        row["id"]: row.get("name", "")
        for key in ("targets", "inspectors")
        for row in document["population"][key]
    }
    lines = []
    for i, pick in enumerate(document["selection"], 1):
        team = ", ".join(f"{x} {names.get(x, '')}".strip() for x in pick["inspectors"])
        lines.append(f"{i}. {pick['target']} {names.get(pick['target'], '')}".rstrip() + f": {team}")
    return lines


@draw_app.command("run")
def run_command(
    population: Annotated[
        Path,
        typer.Argument(
            metavar="POPULATION.json",
            help='{"targets": [...], "inspectors": [...], "exclusions": [[inspector, target]]}',
        ),
    ],
    targets: Annotated[int, typer.Option("--targets", help="how many targets to draw")],
    seed_hex: Annotated[str, typer.Option("--seed-hex", help="the seed, hex (>= 16 bytes)")],
    per_target: Annotated[int, typer.Option("--per-target", help="inspectors per target")] = 2,
    out: Annotated[Path | None, typer.Option("--out", help="write the document here")] = None,
) -> None:
    """Make a draw document from a population snapshot and a seed (demos and tests)."""
    data = _read_json(population)
    if not isinstance(data, dict) or not {"targets", "inspectors"} <= set(data):
        _fail(f"{population}: expected an object with targets and inspectors")
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        _fail("--seed-hex: not hex")
    try:
        document = draw(
            seed, data["targets"], data["inspectors"], targets, per_target, data.get("exclusions")
        )
    except DrawError as exc:
        _fail(f"{exc.message_en}\n{exc.message_zh}")
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}: commitment {document['commitment']}", highlight=False)
