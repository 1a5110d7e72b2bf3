"""The Starlette application: ``create_app(settings)``; the lifespan owns every long-lived object."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from queue_server.booking.ants.client import AntsClient
from queue_server.booking.ants.gate import AntsGate
from queue_server.booking.ants.hub import ants_routes
from queue_server.booking.ants.link import AntsDirectory
from queue_server.booking.events import Publisher
from queue_server.booking.privacy import erase_party
from queue_server.booking.retention import BookingRetention
from queue_server.booking.service import Booking
from queue_server.booking.tables import Appointment
from queue_server.booking.tickets import GROUP as BOOKING_GROUP
from queue_server.booking.tickets import TicketFollower
from queue_server.booking.web.api import BookingApi
from queue_server.booking.web.challenge import Proofs
from queue_server.booking.web.citizen import CitizenBooking
from queue_server.booking.web.guard import Guard
from queue_server.booking.web.phone_checks import PhoneChecks
from queue_server.booking.web.purges import PurgesApi
from queue_server.booking.web.qr import AppointmentQr
from queue_server.booking.web.staff import AgendaPage
from queue_server.booking.web.waitlist_api import WaitlistApi
from queue_server.crm.appointments import AppointmentTimeline
from queue_server.crm.calls import CallTimeline
from queue_server.crm.links import PartyLinks
from queue_server.crm.requests import RequestTimeline
from queue_server.crm.retention import Retention
from queue_server.crm.service import Record
from queue_server.crm.visits import GROUP as CRM_GROUP
from queue_server.crm.visits import VisitTimeline
from queue_server.crm.web.api import CrmApi
from queue_server.crm.web.pages import CrmPages
from queue_server.db.engine import make_engine, migrate, sessions
from queue_server.kb.reminders import ReviewReminders
from queue_server.kb.service import KnowledgeBase
from queue_server.kb.web.api import KbApi
from queue_server.kb.web.faq import Faq
from queue_server.kb.web.pages import KbPages
from queue_server.phone.events import Publisher as PhonePublisher
from queue_server.phone.privacy import erase_party as erase_calls
from queue_server.phone.retention import PhoneRetention
from queue_server.phone.service import Phone
from queue_server.phone.stats import PhoneStats
from queue_server.phone.web.api import PhoneApi
from queue_server.phone.web.desk import DeskPages
from queue_server.phone.web.report import PhoneReport
from queue_server.platform.email import make_mailer
from queue_server.platform.outbox import MessageTemplates, OutboxWorker
from queue_server.platform.pairing import PairingCodes
from queue_server.platform.presence import Presence
from queue_server.platform.revocations import Revocations
from queue_server.platform.sessions import Limits, SessionStore
from queue_server.platform.signin import SignIn
from queue_server.platform.sites import Sites
from queue_server.platform.sms import LogProvider, make_provider
from queue_server.platform.tokens import Tokens
from queue_server.queue.archiver import Archiver
from queue_server.queue.configuration import Configuration
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import SiteConfig
from queue_server.queue.eventstore import EventStore
from queue_server.queue.hub import public
from queue_server.queue.notifier import Notifier
from queue_server.queue.phones import NoteBook, PhoneBook
from queue_server.queue.protocol import ticket_view
from queue_server.queue.reports import History
from queue_server.queue.service import Clock, QueueService, new_command_id, new_ticket_id, utc_now
from queue_server.queue.sites import SiteConfigs
from queue_server.queue.visits import Visits
from queue_server.queue.web import routes as queue_routes
from queue_server.queue.web.deps import QueueDeps
from queue_server.queue.web.ws import LiveFeed
from queue_server.requests.acknowledging import DueAcknowledgements
from queue_server.requests.events import Publisher as RequestsPublisher
from queue_server.requests.intake.mailbox import Intake
from queue_server.requests.parties import PartyLink
from queue_server.requests.privacy import erase_party as erase_requests
from queue_server.requests.retention import RequestsRetention
from queue_server.requests.service import Requests
from queue_server.requests.stats import RequestStats
from queue_server.requests.web.api import RequestsApi
from queue_server.requests.web.categories_page import CategoriesPage
from queue_server.requests.web.citizen import CitizenRequests
from queue_server.requests.web.intake_api import IntakeApi
from queue_server.requests.web.intake_page import IntakePages
from queue_server.requests.web.record import RecordApi
from queue_server.requests.web.report import RequestsReport
from queue_server.requests.web.staff import RequestsPages
from queue_server.settings import Settings
from queue_server.speech import Speech
from queue_server.store.checks import check_redis
from queue_server.store.client import make_redis
from queue_server.store.embedded import EmbeddedServerError, EmbeddedValkey
from queue_server.surveys.retention import SurveysRetention
from queue_server.surveys.service import SiteFacts, Surveys
from queue_server.surveys.streams import ContactsEnded
from queue_server.surveys.web.api import SurveysApi
from queue_server.surveys.web.campaigns_page import CampaignsPage
from queue_server.surveys.web.citizen import CitizenSurveys
from queue_server.surveys.web.report import SurveysReport
from queue_server.web.admin import Admin
from queue_server.web.admin_page import AdminPage
from queue_server.web.auth import Authenticator
from queue_server.web.deps import PlatformDeps
from queue_server.web.errors import HTTPError, exception_handlers
from queue_server.web.headers import SecurityHeaders
from queue_server.web.http import json_response
from queue_server.web.login import Login
from queue_server.web.openapi import openapi_document
from queue_server.web.pages import start_page

log = logging.getLogger(__name__)

SUPERVISE_EVERY_S = 0.5
SHUTDOWN_GRACE_S = 5.0  # how long shutdown waits for the archiver to finish its transaction


async def _preload(queue: QueueService, sites: Sites) -> None:
    """Rebuild every site's state now, not on its first request (a kiosk should not wait)."""
    for site in await sites.ids():
        await queue.engine(site)


def _start_route(configs: SiteConfigs, demo_tokens: dict[str, str] | None,
                 demo_people: dict[str, str] | None) -> Route:
    """``GET /``: the start page, with every site (and the demo's tokens and people when serving it)."""

    async def index(request: Request) -> Response:
        return await start_page(request, await configs.every(), demo_tokens, demo_people)

    return Route("/", index, methods=["GET"])


async def _wait_for_redis(redis: Redis, seconds: float) -> None:
    """Redis may still be starting (a container, a failover): wait a little before giving up."""
    with anyio.move_on_after(seconds):
        while True:
            try:
                await redis.ping()
                return
            except RedisError:
                await anyio.sleep(0.2)
    await redis.ping()  # one last time, letting the error through


async def _supervise(embedded: EmbeddedValkey) -> None:
    """Start the embedded Valkey again if it dies (OOM killer, a stray kill): with its append-only
    file fsynced on every write it comes back with every acknowledged event, and meanwhile the API
    answers 503. ``start`` blocks the loop for the ~100 ms it takes, on purpose: it must run on the
    main thread, whose exit is what stops Valkey when the server itself is killed."""
    while True:
        await anyio.sleep(SUPERVISE_EVERY_S)
        if embedded.pid is None:
            log.error("the embedded Valkey exited; starting it again")
            try:
                embedded.start()
            except EmbeddedServerError:
                log.exception("the embedded Valkey did not start again; retrying")


def _appointment_tickets(queue: QueueService) -> Any:
    """How booking issues the ticket of an appointment checked in: a command to the queue's service, like any
    ticket, in the motif's service and marked as an appointment's (called before the walk-ins). The key makes a
    second check-in of the same appointment give the same ticket back."""

    async def issue(config: SiteConfig, row: Appointment, kiosk: int | None) -> tuple[dict[str, Any], bool]:
        engine = await queue.engine(config.id)
        if engine is None:
            raise HTTPError(404, "No such site.", "unknown-site")
        result = await engine.execute(c.IssueTicket(
            command_id=new_command_id(), ticket_id=new_ticket_id(), service=row.service, lang=row.lang,
            idempotency_key=f"appointment:{row.id}", issued_by=kiosk, party=row.party,
            appointment=row.code))
        assert result.ticket is not None
        view = ticket_view(result.state, result.ticket)
        return (public(view) if kiosk is not None else dict(view)), result.created

    return issue


def _tenant_services(configs: SiteConfigs) -> Any:
    """The phone desk's ``Services``: (id, name) of the services of a collectivity's sites, by id (a service of
    several sites once, by its first site's name)."""

    async def services(tenant: str) -> list[tuple[str, str]]:
        found: dict[str, str] = {}
        for config in sorted(await configs.every(), key=lambda c: c.id):
            if config.tenant == tenant:
                for service in config.services:
                    found.setdefault(service.id, service.name)
        return sorted(found.items(), key=lambda item: (item[1].lower(), item[0]))

    return services


def _survey_sites(configs: SiteConfigs) -> Any:
    """The surveys' ``SiteLookup``: a site's collectivity, name, clock and services' names (the surveys import no
    other module)."""

    async def facts(site: str) -> SiteFacts | None:
        config = await configs.get(site)
        if config is None:
            return None
        return SiteFacts(config.id, config.tenant, config.name, ZoneInfo(config.timezone),
                         {service.id: service.name for service in config.services})

    return facts


def create_app(settings: Settings, *, demo_tokens: dict[str, str] | None = None,
               demo_people: dict[str, str] | None = None,
               clock: Clock = utc_now, embedded: EmbeddedValkey | None = None) -> Starlette:
    """The whole server. ``settings.redis.url`` must be set (the CLI starts the embedded Valkey and
    passes it as ``embedded`` so that the app restarts it if it dies)."""
    if not settings.redis.url:
        raise ValueError("create_app needs settings.redis.url; `queue-server serve` starts one for you")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = make_redis(settings.redis.url)
        tail_redis = make_redis(settings.redis.url, socket_timeout=30.0)
        engine = make_engine(settings.database_url)
        # The ANTS' anti-duplicate API (passports, identity cards), when turned on.
        ants_client = AntsClient(settings.ants.api_url, settings.ants.api_token.get_secret_value(),
                                 timeout_s=settings.ants.timeout_s) if settings.ants.enabled else None
        try:
            await _wait_for_redis(redis, 10.0)
            if settings.redis.check_persistence:
                await check_redis(redis)
            await migrate(engine)
            session_factory = sessions(engine)
            store = EventStore(redis, settings.redis.key_prefix)
            tail_store = EventStore(tail_redis, settings.redis.key_prefix)
            sites, configs = Sites(session_factory), SiteConfigs(session_factory)
            tokens, signin = Tokens(session_factory), SignIn(session_factory)

            async with anyio.create_task_group() as tg:
                queue = QueueService(store, tail_store, configs.get, tg, clock,
                                     settings.queue.snapshot_interval_s, speech.url)
                phones = PhoneBook(redis, settings.redis.key_prefix)
                notes = NoteBook(redis, settings.redis.key_prefix)
                # Text messages and e-mails written by any module (platform/outbox.py), sent once each.
                outbox = OutboxWorker(session_factory, sms=sms_provider or LogProvider(), mailer=mailer)
                tg.start_soon(outbox.run)
                app.state.outbox = outbox
                # Satisfaction surveys: the archiver tells them of each visit that ended with the phone left for it,
                # before deleting the number (the queue imports no survey).
                surveys = Surveys(session_factory, settings.surveys, sites=_survey_sites(configs),
                                  templates=MessageTemplates(settings.booking.templates_dir), public_url=public_url,
                                  wake=outbox.wake, clock=clock)
                # The streams are trimmed behind the CRM's reader too: no visit is lost to a trim.
                archiver = Archiver(redis, store, session_factory, settings.queue.stream_retention_s,
                                    (phones, notes), keep_for=(CRM_GROUP, BOOKING_GROUP), phones=phones,
                                    on_visit_end=[surveys.visit_ended])
                tg.start_soon(archiver.run)
                # The citizen record's timelines, fed by the queue's events (its own consumer group).
                timeline = VisitTimeline(redis, settings.redis.key_prefix, session_factory)
                tg.start_soon(timeline.run)
                # ... and by booking's events (its consumer group on the booking stream).
                appointments = AppointmentTimeline(redis, settings.redis.key_prefix, session_factory)
                tg.start_soon(appointments.run)
                # ... and by the requests' (its consumer group on the requests stream).
                request_timeline = RequestTimeline(redis, settings.redis.key_prefix, session_factory)
                tg.start_soon(request_timeline.run)
                # ... and by the phone desk's (its consumer group on the phone stream).
                call_timeline = CallTimeline(redis, settings.redis.key_prefix, session_factory)
                tg.start_soon(call_timeline.run)
                notifier = None
                if sms_provider is not None:
                    notifier = Notifier(queue, redis, settings.redis.key_prefix, phones, sites.ids,
                                        sessions=session_factory, wake=outbox.wake)
                    tg.start_soon(notifier.run)
                app.state.notifier = notifier
                if embedded is not None:
                    tg.start_soon(_supervise, embedded)
                session_store = SessionStore(redis, settings.redis.key_prefix)
                authenticator = Authenticator(tokens.find, session_store, signin.person, tokens.revoked_among,
                                              Revocations(redis, settings.redis.key_prefix))
                platform = PlatformDeps(
                    settings=settings, auth=authenticator, db=session_factory, signin=signin, sites=sites,
                    sessions=session_store,
                    limits=Limits(redis, settings.redis.key_prefix),
                    codes=PairingCodes(redis, settings.redis.key_prefix),
                    presence=Presence(redis, settings.redis.key_prefix),
                )
                queue_deps = QueueDeps(platform=platform, queue=queue, phones=phones, notes=notes,
                                       visits=Visits(phones, notes, session_factory,
                                                     PartyLinks(session_factory).party_exists),
                                       history=History(session_factory), speech=speech,
                                       configuration=Configuration(session_factory, queue))
                feed = LiveFeed(queue_deps)
                # Erasing a party erases what booking and the requests hold of the person too (the CRM imports no
                # other module).
                requests_dir = settings.server.data_dir / "requests"
                record = Record(session_factory, settings.crm.retention_days,
                                erasers=[erase_party(session_factory), erase_requests(session_factory, requests_dir),
                                         erase_calls(session_factory)])
                booking_retention = BookingRetention(session_factory, redis, settings.redis.key_prefix,
                                                     settings.booking.retention_days, settings.booking.purge_every_s,
                                                     clock=clock)
                booking = Booking(session_factory, configs.get, PartyLinks(session_factory).party_exists,
                                  MessageTemplates(settings.booking.templates_dir),
                                  Publisher(redis, settings.redis.key_prefix), wake=outbox.wake,
                                  clock=clock, ants=AntsGate(ants_client))
                # An appointment's status follows its ticket (its own consumer group on the sites' streams).
                follower = TicketFollower(redis, settings.redis.key_prefix, session_factory, booking.set_status,
                                          booking.mark_missed)
                tg.start_soon(follower.run)
                # Anonymous bookings beyond a free allowance: a proof of work, a phone checked by SMS.
                proofs = Proofs(redis, settings.redis.key_prefix, bits=settings.booking.proof_bits)
                templates = MessageTemplates(settings.booking.templates_dir)
                guard = Guard(booking, platform.limits, proofs,
                              PhoneChecks(redis, settings.redis.key_prefix, session_factory, templates, proofs.secret,
                                          wake=outbox.wake),
                              free=settings.booking.free_bookings_per_address_per_hour,
                              unchecked_phone=settings.booking.unchecked_phone_bookings_per_address_per_hour)
                booking_api = BookingApi(authenticator, booking, platform.limits, _appointment_tickets(queue),
                                         bookings_per_address_per_hour=settings.booking.bookings_per_address_per_hour,
                                         guard=guard)
                # Requests ("écrire à la mairie"): their attachments under the data directory.
                requests = Requests(session_factory, MessageTemplates(settings.requests.templates_dir),
                                    requests_dir, wake=outbox.wake, clock=clock,
                                    publish=RequestsPublisher(redis, settings.redis.key_prefix, session_factory))
                requests_retention = RequestsRetention(session_factory, redis, settings.redis.key_prefix, requests_dir,
                                                       settings.requests.retention_days,
                                                       settings.requests.purge_every_s, clock=clock)
                requests_api = RequestsApi(
                    authenticator, requests, platform.limits,
                    requests_per_address_per_hour=settings.requests.requests_per_address_per_hour)
                requests.mail_domain = parseaddr(settings.email.from_)[1].rpartition("@")[2]
                # E-mail intake: the collectivity's mailbox read over IMAP, when one is configured.
                if settings.requests.imap_url.get_secret_value():
                    intake = Intake(requests, settings.requests.imap_url.get_secret_value(), base_url=public_url,
                                    poll_s=settings.requests.imap_poll_s, tenant=settings.requests.imap_tenant,
                                    categories=settings.requests.imap_categories)
                    tg.start_soon(intake.run)
                    app.state.intake = intake
                # The phone desk: the caller's name asked of the citizen record, the services of the collectivity's
                # sites (it imports neither module).
                phone = Phone(session_factory, party_name=PartyLinks(session_factory).display_name,
                              services=_tenant_services(configs), clock=clock,
                              publish=PhonePublisher(redis, settings.redis.key_prefix))
                phone_retention = PhoneRetention(session_factory, redis, settings.redis.key_prefix,
                                                 settings.phone.retention_days, settings.phone.purge_every_s,
                                                 clock=clock)
                # The acknowledgements of receipt of two-step categories that no agent sent, on their last day.
                due_acknowledgements = DueAcknowledgements(requests, public_url)
                tg.start_soon(due_acknowledgements.run)
                # ... and of appointments done and requests closed, through booking's and the requests' streams.
                contacts_ended = ContactsEnded(redis, settings.redis.key_prefix, surveys, surveys.first_site)
                tg.start_soon(contacts_ended.run)
                surveys_retention = SurveysRetention(session_factory, redis, settings.redis.key_prefix,
                                                     settings.surveys.retention_days,
                                                     settings.surveys.min_days_between,
                                                     settings.surveys.purge_every_s, clock=clock)
                # The knowledge base: sheets, their search, partners' shared sheets.
                kb = KnowledgeBase(session_factory, clock=clock)
                # The sheets whose review date has come, told to their last editor (one process, every hour).
                kb_reminders = ReviewReminders(kb, session_factory, redis, settings.redis.key_prefix, public_url,
                                               clock=clock)
                # The modules' routes exist from here on, made with what they need (the server takes no
                # request before the lifespan has started).
                app.router.routes = [
                    _start_route(configs, demo_tokens, demo_people),
                    *shell_routes,
                    *Login(platform).routes(),
                    *Admin(platform, queue).routes(),
                    *AdminPage(platform).routes(),
                    *queue_routes(queue_deps, feed),
                    *CrmApi(authenticator, record, record.region).routes(),
                    *CrmPages(authenticator, record, configs.get).routes(),
                    *booking_api.routes(),
                    *guard.routes(),
                    *CitizenBooking(booking, platform.limits, sites.ids).routes(),
                    *WaitlistApi(booking_api).routes(),
                    *AgendaPage(authenticator, booking).routes(),
                    *(ants_routes(AntsDirectory(booking, public_url), settings.ants.hub_token.get_secret_value(),
                                  slots_budget_s=settings.ants.slots_budget_s) if settings.ants.enabled else []),
                    *AppointmentQr(booking, platform.limits).routes(),
                    *PurgesApi(authenticator, booking_retention).routes(),
                    # Before the API's …/requests/{request}: …/requests/purges and …/requests/stats are paths of
                    # their own.
                    *RecordApi(authenticator, PartyLink(requests, PartyLinks(session_factory).party_exists),
                               requests_retention).routes(),
                    *RequestsReport(authenticator, RequestStats(session_factory, clock)).routes(),
                    *requests_api.routes(),
                    *IntakeApi(authenticator, requests).routes(),
                    # Before the request pages: /demandes/nouvelle is no request's id.
                    *IntakePages(authenticator, requests).routes(),
                    *CategoriesPage(authenticator, requests).routes(),
                    *RequestsPages(authenticator, requests).routes(),
                    *CitizenRequests(requests, requests_api, platform.limits).routes(),
                    *PhoneReport(authenticator, PhoneStats(session_factory, phone)).routes(),
                    *PhoneApi(authenticator, phone, phone_retention).routes(),
                    *DeskPages(authenticator, phone).routes(),
                    *KbApi(authenticator, kb, platform.limits).routes(),
                    *KbPages(authenticator, kb).routes(),
                    *Faq(kb, platform.limits).routes(),
                    *SurveysApi(authenticator, surveys, surveys_retention, platform.limits).routes(),
                    *SurveysReport(authenticator, surveys).routes(),
                    *CampaignsPage(authenticator, surveys).routes(),
                    *CitizenSurveys(surveys, platform.limits).routes(),
                    *asset_routes,
                ]
                tg.start_soon(speech.run)
                tg.start_soon(Retention(record, redis, settings.redis.key_prefix, settings.crm.purge_every_s).run)
                tg.start_soon(booking_retention.run)
                tg.start_soon(requests_retention.run)
                tg.start_soon(phone_retention.run)
                tg.start_soon(surveys_retention.run)
                tg.start_soon(kb_reminders.run)
                tg.start_soon(feed.watch)
                # Blocking reads of the revocations' stream: on the tail's connections (long timeout).
                tg.start_soon(Revocations(tail_redis, settings.redis.key_prefix).follow, feed.revoke)
                app.state.queue = queue
                app.state.redis = redis
                app.state.engine = engine
                app.state.archiver = archiver
                app.state.timeline = timeline
                app.state.appointment_timeline = appointments
                app.state.booking_retention = booking_retention
                app.state.request_timeline = request_timeline
                app.state.requests_retention = requests_retention
                app.state.call_timeline = call_timeline
                app.state.phone_retention = phone_retention
                app.state.surveys = surveys
                app.state.contacts_ended = contacts_ended
                app.state.surveys_retention = surveys_retention
                app.state.kb_reminders = kb_reminders
                await _preload(queue, sites)
                yield
                # Let the stream workers finish their transactions (together: each may be waiting on Redis):
                # cancelling aiosqlite mid-call can leave a task waiting forever, and then the process never exits.
                async with anyio.create_task_group() as stopping:
                    for worker in (archiver, timeline, appointments, request_timeline, call_timeline, follower,
                                   contacts_ended,
                                   *([notifier] if notifier is not None else [])):
                        stopping.start_soon(worker.stop, SHUTDOWN_GRACE_S)
                await outbox.stop(SHUTDOWN_GRACE_S)
                tg.cancel_scope.cancel()
        finally:
            if ants_client is not None:
                await ants_client.aclose()
            speech.close()
            await redis.aclose()
            await tail_redis.aclose()
            await engine.dispose()

    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            with anyio.fail_after(2):
                await request.app.state.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", and says which
            checks["redis"] = f"unavailable: {type(exc).__name__}"
        try:
            with anyio.fail_after(2):
                async with request.app.state.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        # Speech is no reason to stop serving: displays play the chime alone. Said here for whoever looks.
        checks["speech"] = ("on" if speech.available else "off: espeak-ng or pyttsx3 is missing"
                            if settings.speech.enabled else "off: speech.enabled is false")
        return json_response({"status": "ready" if ready else "unavailable", "checks": checks},
                             200 if ready else 503)

    public_url = settings.booking.public_url or f"http://{settings.server.host}:{settings.server.port}"
    sms_provider = make_provider(settings.sms)  # a wrong [sms] section fails here, at start
    mailer = make_mailer(settings.email)  # ... and a wrong [email] section
    speech = Speech(settings.server.data_dir / "speech", enabled=None if settings.speech.enabled else False)
    document = orjson.dumps(openapi_document())

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    # The shell's own routes and the assets; the start page's and the modules' routes come in the
    # lifespan, once made.
    shell_routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    asset_routes: list[BaseRoute] = [
        # Each module's page assets, under one /static (the agent page's in /static/counter/, the citizen
        # record's in /static/crm/).
        Mount("/static", StaticFiles(packages=[("queue_server.web", "static"),
                                               ("queue_server.queue.web", "static"),
                                               ("queue_server.crm.web", "static"),
                                               ("queue_server.booking.web", "static"),
                                               ("queue_server.requests.web", "static"),
                                               ("queue_server.phone.web", "static"),
                                               ("queue_server.kb.web", "static"),
                                               ("queue_server.surveys.web", "static")]), name="static"),
    ]
    routes = [*shell_routes, *asset_routes]
    application = Starlette(routes=routes, lifespan=lifespan,
                            middleware=[Middleware(SecurityHeaders, frame_origins=settings.server.trusted_origins)],
                            exception_handlers=exception_handlers(settings.queue.retry_after_s))
    application.router.redirect_slashes = False  # /tickets/ is not a ticket: 404, not a redirect
    return application
