"""What every websocket consumer of the project shares."""

from __future__ import annotations

from channels.consumer import get_handler_name


class DirectDispatch:
    """Dispatches a message to its handler without Channels' `aclose_old_connections()` first.

    Channels runs `close_old_connections` through `sync_to_async` before *every* message a
    consumer handles — a hop to the single thread of sync work and back. For an event going to
    a thousand sockets of one web process that was a thousand hops in a row, half of the
    process's time while the frames went out, and requests waited behind them. Our consumers
    reach the database only through `database_sync_to_async`, which closes stale connections
    itself before and after its work, so nothing is lost by skipping the hop here.
    """

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
