"""The queue's HTTP API, live feeds and pages: ``routes(deps, feed)``, called once by the lifespan."""

from __future__ import annotations

from starlette.routing import BaseRoute, WebSocketRoute

from queue_server.queue.web.api import Api
from queue_server.queue.web.citizen import CitizenPages
from queue_server.queue.web.config_api import ConfigApi
from queue_server.queue.web.counter_page import CounterPage
from queue_server.queue.web.deps import QueueDeps
from queue_server.queue.web.display import DisplayPages
from queue_server.queue.web.reports import Reports
from queue_server.queue.web.setup_page import SetupPage
from queue_server.queue.web.supervisor_page import SupervisorPage
from queue_server.queue.web.widget import TicketWidget
from queue_server.queue.web.ws import LiveFeed


def routes(deps: QueueDeps, feed: LiveFeed) -> list[BaseRoute]:
    """Every route of the queue module; ``feed`` is the live feed's endpoint, whose checks of credentials
    the lifespan runs (``watch``, ``revoke``)."""
    api = Api(deps)
    return [
        *api.build(),
        *Reports(api, deps).routes(),
        *ConfigApi(deps, deps.configuration).routes(),
        WebSocketRoute("/ws/sites/{site}", feed.endpoint),
        *CitizenPages(api, deps).routes(),
        *TicketWidget(api, deps).routes(),
        *DisplayPages(deps).routes(),
        *CounterPage(deps).routes(),
        *SupervisorPage(deps).routes(),
        *SetupPage(deps).routes(),
    ]
