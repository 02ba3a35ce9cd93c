"""`scribe model pull NAME` and `scribe model list` (issue 77): the models the local engine can
run, fetched into SCRIBE_DATA_DIR/models with a progress bar, resumed after an interruption and
checked against their published SHA-256 (embedded/model_pull.py); `LLM_LOCAL_MODEL=NAME` runs
one."""

from typing import Annotated

import typer

from infinite_scribe.cli.app import fail, settings

model_app = typer.Typer(
    help="Models for the local engine: `pull` fetches a GGUF file, `list` shows what is here.",
    no_args_is_help=True,
)


def size_text(size: float) -> str:
    """1536 -> `1.5 KB`, 4.9e9 -> `4.9 GB` (decimal units, as model cards give sizes)."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


@model_app.command("pull")
def pull(
    name: Annotated[
        str,
        typer.Argument(
            help="a catalogue name (`scribe model list` shows them) or owner/repo/file.gguf",
            show_default=False,
        ),
    ],
    revision: Annotated[str, typer.Option(help="the repository's branch, tag or commit")] = "main",
    sha256: Annotated[
        str | None,
        typer.Option(help="the file's SHA-256 [default: the catalogue's, else the hub's]"),
    ] = None,
    hub_url: Annotated[
        str | None,
        typer.Option(help="the hub [default: LLM_MODEL_HUB_URL]", show_default=False),
    ] = None,
) -> None:
    """Fetch a GGUF model into SCRIBE_DATA_DIR/models (resumes an interrupted pull)."""
    from infinite_scribe.cli.progress import transfer
    from infinite_scribe.embedded.model_pull import PullFailed, pull_model
    from infinite_scribe.embedded.model_store import source_of

    current = settings(find_up=False)
    try:
        source = source_of(name, revision, sha256)
    except ValueError as error:
        fail(str(error))
    hub = hub_url or current.llm_model_hub_url
    if not hub.startswith(("http://", "https://")):
        fail(f"--hub-url {hub!r} is not an http(s) URL")
    typer.echo(f"pulling {source.repo}/{source.file} ({source.revision}) from {hub}", err=True)
    try:
        with transfer(source.file) as (start, advance):
            pulled = pull_model(source, current.scribe_data_dir, hub, start, advance)
    except PullFailed as error:
        fail(f"scribe model pull {name}: {error}", code=1)
    except KeyboardInterrupt:
        fail("interrupted: run the same command again to resume", code=130)
    typer.echo(f"{pulled.name}  {size_text(pulled.size)}  sha256 {pulled.sha256}  {pulled.path}")
    typer.echo(
        f"run it with LLM_LOCAL_MODEL={pulled.name} (e.g. LLM_LOCAL_MODEL={pulled.name} make run)"
    )


@model_app.command("list")
def list_models() -> None:
    """The models here (pulled, packaged), interrupted pulls, and the catalogue's others."""
    from infinite_scribe.embedded.local_engine import PACKAGED, EngineUnavailable, resolve_model
    from infinite_scribe.embedded.model_store import (
        CATALOGUE,
        partial_downloads,
        pulled_models,
    )

    current = settings(find_up=False)
    pulled = pulled_models(current.scribe_data_dir)
    typer.echo("here (LLM_LOCAL_MODEL=NAME):")
    for model in pulled:
        typer.echo(f"  {model.name:<16} {size_text(model.size):>9}  {model.repo}/{model.file}")
    for packaged in PACKAGED:
        try:
            path = resolve_model(packaged).path
        except EngineUnavailable:
            continue  # `make model` not run
        typer.echo(f"  {packaged:<16} {size_text(path.stat().st_size):>9}  packaged ({path.name})")
    for file, size in partial_downloads(current.scribe_data_dir):
        typer.echo(f"  (interrupted)    {size_text(size):>9}  {file}: pull it again to resume")
    names = {model.name for model in pulled}
    others = [(name, published) for name, published in CATALOGUE.items() if name not in names]
    if others:
        typer.echo("to pull (scribe model pull NAME):")
    for name, published in others:
        typer.echo(
            f"  {name:<16} {published.size_gb:>6.1f} GB  needs ~{published.memory_gb:.0f} GB of "
            f"memory, {published.licence}; {published.languages}"
        )
