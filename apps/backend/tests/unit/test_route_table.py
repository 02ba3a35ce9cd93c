"""The one match per request (api/route_table.py): the template a path is counted under and
the operations the document gives it, as the router and the document would say."""

from fastapi import FastAPI

from infinite_scribe.api.route_table import UNMATCHED, RouteTable


def _table() -> RouteTable:
    app = FastAPI()

    @app.get("/x/stream")
    async def stream() -> None: ...

    @app.get("/x/{item}")
    async def item(item: str) -> None: ...

    @app.delete("/x/{item}")
    async def remove(item: str) -> None: ...

    @app.post("/x/{item}/commands")
    async def command(item: str) -> None: ...

    @app.get("/files/{rest:path}")
    async def files(rest: str) -> None: ...

    return RouteTable(app.routes, app.openapi(), ["POST /x/{item}/commands"])


def test_a_literal_and_a_template_both_give_their_operations() -> None:
    match = _table().match("/x/stream")
    assert match.template == "/x/stream"  # a literal sorts before `{`: counted under it
    assert {op.method for op in match.operations} == {"GET", "DELETE"}
    assert match.allowed == "DELETE, GET"
    assert [op.template for op in match.reached("DELETE")] == ["/x/{item}"]


def test_a_template_matches_one_segment_per_parameter() -> None:
    table = _table()
    command = table.match("/x/abc/commands")
    assert command.template == "/x/{item}/commands"
    assert [(op.method, op.inline) for op in command.operations] == [("POST", True)]
    assert table.match("/x/abc/other").template == UNMATCHED
    assert table.match("/x//commands").template == UNMATCHED  # an empty segment is no value
    assert table.match("/x/a/b/commands").template == UNMATCHED


def test_a_path_converter_takes_any_depth_and_unknown_paths_are_unmatched() -> None:
    table = _table()
    assert table.match("/files/a/b/c.txt").template == "/files/{rest:path}"
    assert table.match("/nope").template == UNMATCHED
    assert table.match("/nope").operations == ()
