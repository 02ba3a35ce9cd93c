"""One statement's value on a database of its own (a migration test's fresh database), from
synchronous test code."""

import asyncio

import asyncpg


def one_value(url: str, statement: str, *args: object) -> object:
    """The statement's first value, on a connection opened and closed for it."""

    async def run() -> object:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval(statement, *args)
        finally:
            await connection.close()

    return asyncio.run(run())
