"""``queue-server serve``: uvicorn with the edge and live-feed protocols, the embedded Valkey unless an
external Redis is configured, garbage collection tuned for the hot path."""

from __future__ import annotations

from typing import Any

from queue_server.cli.common import ConfigOpt, DataOpt, HostOpt, PortOpt, app, fail, log, settings_from
from queue_server.cli.logs import setup_logging
from queue_server.cli.valkey import check_external_redis
from queue_server.settings import Settings

# Young collections every 2,000 allocations (not 700); a full one only after 1,000 middle ones.
GC_THRESHOLDS = (2000, 20, 1000)


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """Stops the embedded Valkey once the app has shut down, before uvicorn re-raises the
        signal that stopped it (which ends the process without running ``finally`` blocks)."""

        def __init__(self, config: uvicorn.Config, on_exit: Any) -> None:
            super().__init__(config)
            self.on_exit = on_exit

        async def shutdown(self, sockets: Any = None) -> None:
            await super().shutdown(sockets)
            if self.on_exit is not None:
                self.on_exit()

    return Server


def _tune_gc() -> None:
    """Make full garbage collections rare (and so the pauses they cause in the hot path).

    The queue keeps every ticket of the day in memory; CPython's full collection walks all of them,
    and with the default thresholds it runs every few seconds under load (tens of milliseconds at
    tens of thousands of tickets: the whole p99 of bench/issue_and_call.py). Objects are freed by
    reference counting anyway; only reference cycles wait for a full collection, and they still get
    one, just rarely. Startup objects (modules, classes, settings) are frozen out of the walk.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLDS[0], GC_THRESHOLDS[1], GC_THRESHOLDS[2])


def _raise_file_limit() -> None:
    """Every connection holds a file descriptor: take all the system allows (the soft limit is often
    1,024, the hard one far more), so that a crowd of screens, or of idle connections waiting for
    their deadline, does not make the server refuse its own readiness checks."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))
        except (ValueError, OSError):
            log.warning("could not raise the open files limit from %d", soft)


def run(settings: Settings, demo_tokens: dict[str, str] | None = None,
         demo_people: dict[str, str] | None = None) -> None:
    import uvicorn

    from queue_server.store.embedded import EmbeddedServerError, EmbeddedValkey
    from queue_server.web.app import create_app
    from queue_server.web.httpserver import EdgeProtocol
    from queue_server.web.wsserver import FramesProtocol

    _tune_gc()
    _raise_file_limit()
    _Server = _server_class()
    embedded = None
    if not settings.redis.url:
        embedded = EmbeddedValkey(settings.server.data_dir)
        try:
            url = embedded.start()
        except EmbeddedServerError as exc:
            fail(f"could not start the embedded Valkey server: {exc}")
        settings = settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": url})})
        log.info("embedded Valkey on %s (append-only, fsync always)", url)
    else:
        check_external_redis(settings)
    try:
        application = create_app(settings, demo_tokens=demo_tokens, demo_people=demo_people, embedded=embedded)
        config = uvicorn.Config(
            application, host=settings.server.host, port=settings.server.port,
            access_log=settings.server.access_log, log_config=None, lifespan="on",
            # HTTP/1.1 with deadlines and size limits on requests (web/httpserver.py).
            http=EdgeProtocol.configured(settings.server),
            timeout_graceful_shutdown=5,
            # WebSockets: uvicorn's sans-I/O implementation (it refuses with a real HTTP answer),
            # plus a way for the hub to write one pre-built frame to every screen without a task
            # per connection (web/wsserver.py); no per-message compression (every frame is small
            # and sent to many: compressing it per connection costs more CPU and memory than it
            # saves); pings (15 s + 15 s by default: a dead peer is noticed within 30 s).
            ws=FramesProtocol.sized(settings.server.ws_send_buffer_bytes), ws_per_message_deflate=False,
            ws_ping_interval=settings.server.ws_ping_interval_s,
            ws_ping_timeout=settings.server.ws_ping_timeout_s, ws_max_size=64 * 1024,
        )
        server = _Server(config, embedded.stop if embedded is not None else None)
        server.run()
        if not server.started:
            fail("the server did not start (see the messages above)")
    finally:
        if embedded is not None:
            embedded.stop()


@app.command()
def serve(config: ConfigOpt = None, host: HostOpt = None, port: PortOpt = None, data_dir: DataOpt = None) -> None:
    """Run the server (embedded Valkey and SQLite unless QUEUE_REDIS_URL / QUEUE_DATABASE_URL are set)."""
    settings = settings_from(config, host, port, data_dir)
    setup_logging(settings.server.log_level)
    run(settings)
