"""The OpenAPI 3.1 description of the JSON endpoints, generated from the same models they validate with."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from queue_server.booking.web.api import (
    SLUG,
    AppointmentBody,
    CancelBody,
    CheckInBody,
    ConfirmBody,
    MotifBody,
    MoveBody,
)
from queue_server.booking.web.challenge import PROOF_SHAPE
from queue_server.booking.web.guard import CodeBody, PhoneCheckBody
from queue_server.booking.web.waitlist_api import WaitingBody
from queue_server.crm.service import ROLES as RELATION_ROLES
from queue_server.crm.web.api import (
    MAX_QUERY,
    NOT_BLANK,
    ChangeBody,
    MergeBody,
    PartyBody,
    PartyNoteBody,
    RelationBody,
    SectorBody,
)
from queue_server.kb.web.api import MAX_QUERY as KB_MAX_QUERY
from queue_server.kb.web.api import PartnersBody, SheetBody, SheetNoteBody, SheetPreviewBody
from queue_server.phone.domain.callbacks import DONE_OUTCOMES
from queue_server.phone.domain.calls import OUTCOMES as CALL_OUTCOMES
from queue_server.phone.web.api import MAX_LIMIT as CALLS_LIMIT
from queue_server.phone.web.api import SLUG as PHONE_SLUG
from queue_server.phone.web.api import PhoneCallBody, PhoneDoneBody, PhoneReasonsBody
from queue_server.platform.calendar import regions
from queue_server.queue.configuration import COUNTER_ID, SERVICE_ID, SITE_ID
from queue_server.queue.protocol import PrinterView, SnapshotView, TicketView
from queue_server.queue.reports import GROUPINGS, PERIODS
from queue_server.queue.web.api import (
    AgentDayView,
    CallBody,
    FinishBody,
    IssueBody,
    MessageBody,
    NextBody,
    NoteBody,
    NoteView,
    PauseBody,
    PrinterBody,
    ReprintBody,
    TransferBody,
)
from queue_server.queue.web.citizen import PhoneBody
from queue_server.queue.web.config_api import CounterBody, HoursBody, ServiceBody, SiteBody
from queue_server.queue.web.widget import RemoteBody
from queue_server.requests.stats import GROUPINGS as STATS_GROUPINGS
from queue_server.requests.web.api import SLUG as CATEGORY_ID
from queue_server.requests.web.api import (
    RequestAssigneeBody,
    RequestBody,
    RequestMergeBody,
    RequestMessageBody,
    RequestStatusBody,
    RequestTemplateBody,
    RequestTransmitBody,
)
from queue_server.requests.web.intake_api import CategoryDefinitionBody
from queue_server.requests.web.record import PartyBody as RequestPartyBody
from queue_server.requests.web.staff import CategoryBody as RequestCategoryBody
from queue_server.surveys.web.api import TOKEN as SURVEY_TOKEN
from queue_server.surveys.web.api import KioskAnswerBody, SurveyAnswerBody, SurveyCampaignBody
from queue_server.web.admin import PairBody, PairingBody


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


_STR, _INT, _NULLSTR = {"type": "string"}, {"type": "integer"}, {"type": ["string", "null"]}
_NULLNUM = {"type": ["number", "null"]}
_DATE = {"type": "string", "format": "date"}
_NULLDATE = {"type": ["string", "null"], "format": "date"}
_BOOL = {"type": "boolean"}
_STRS = {"type": "array", "items": _STR}


def _kb_schemas() -> dict[str, Any]:
    links = _object(services=_STRS, motifs=_STRS, categories=_STRS)
    note = _object(body=_STR, html=_STR, updated_at={"type": "string", "format": "date-time"}, updated_by=_STR)
    sheet = _object(id=_STR, tenant=_STR, tenant_name=_STR, title=_STR, body=_STR,
                    audience={"enum": ["agents", "public"]},
                    status={"enum": ["draft", "review", "published", "archived"]}, shared=_BOOL,
                    review_by=_NULLDATE, owner_service=_NULLSTR, links=links, version=_INT,
                    updated_at={"type": "string", "format": "date-time"})
    read = {**sheet, "properties": {
        **sheet["properties"], "html": {**_STR, "description": "the body as sanitised HTML"},
        "updated_by": {**_STR, "description": "who changed it last (its own collectivity's staff only)"},
        "note": {"anyOf": [note, {"type": "null"}], "description": (
            "a partner's sheet, read by a partner's staff: their collectivity's local note on top, or null")}},
            "required": [*sheet["required"], "html"]}
    version = _object(number=_INT, at={"type": "string", "format": "date-time"}, author=_STR, title=_STR,
                      status=sheet["properties"]["status"], audience=sheet["properties"]["audience"], shared=_BOOL)
    whole = {**version, "properties": {**version["properties"], "body": _STR, "review_by": _NULLDATE,
                                       "owner_service": _NULLSTR, "links": links},
             "required": [*version["required"], "body", "review_by", "owner_service", "links"]}
    pieces = {"type": "array", "items": _object(kind={"enum": ["same", "removed", "added"]}, text=_STR)}
    return {
        "Sheet": read,
        "SheetList": _object(items={"type": "array", "items": sheet}),
        "SheetHits": _object(items={"type": "array", "items": {**_object(
            id=_STR, title=_STR, excerpt=_STR, tenant=_STR, tenant_name=_STR, status=sheet["properties"]["status"],
            audience=sheet["properties"]["audience"], shared=_BOOL, partial=_BOOL,
            excerpt_spans={"type": "array", "items": _object(text=_STR, hit=_BOOL)}), "description": (
            "partial: found with some of the query's words only (none holds them all); tenant: whose sheet it is "
            "(a partner's, for staff)")}}),
        "SheetVersions": _object(items={"type": "array", "items": version}),
        "SheetVersion": whole,
        "SheetDiff": _object(**{"from": version, "to": version}, title=pieces, body=pieces),
        "KbPartners": _object(tenants=_STRS, mutual={**_STRS, "description": "those that named this one too"}),
        "LocalNote": note,
        "SheetPreview": _object(html=_STR),
    }


_RESPONSES = {
    # The ticket widget's public figures (queue/web/widget.py): counts and estimates, never a ticket.
    "Waiting": _object(site=_STR, name=_STR, timezone=_STR, remote_tickets={"type": "boolean"},
                       hours_today=_object(text=_STR, spans={"type": ["array", "null"], "items": {
                           "type": "array", "items": _STR, "minItems": 2, "maxItems": 2}}),
                       services={"type": "array", "items": _object(
                           id=_STR, name=_STR, waiting=_INT, estimated_wait_s={"type": ["integer", "null"]},
                           open_now={"type": "boolean"}, opens_at=_NULLSTR)}),
    "Me": _object(login=_STR, name=_STR, tenant=_STR, csrf_token=_STR, roles={"type": "array", "items": _object(
        site=_NULLSTR, role={"enum": ["agent", "supervisor", "admin"]})}),
    "SiteSettings": _object(id=_STR, tenant=_STR, name=_STR, address=_STR, timezone=_STR, region=_STR,
                            languages={"type": "array", "items": _STR}, colours={"type": "array", "items": _STR},
                            logo=_NULLSTR, kiosk=_object(languages={"type": "array", "items": _STR},
                                                         idle_s={"type": ["integer", "null"]})),
    "Hours": _object(weekly={"type": ["object", "null"]}, closures={"type": "array", "items": _object(
        **{"from": _STR, "to": _STR, "reason": _STR})}, public_holidays=_NULLSTR),
    "ServiceSettings": _object(id=_STR, name=_STR, prefix=_STR, description=_STR, icon=_STR,
                               priority={"type": "boolean"}, daily_cap={"type": ["integer", "null"]}, sms_ahead=_INT,
                               alert_wait_s=_INT, ticket_message=_STR, default_duration_s=_INT,
                               hours={"type": ["object", "null"]}),
    "CounterSettings": _object(id=_STR, name=_STR, services={"type": "array", "items": _STR}),
    "SiteConfiguration": _object(site={"$ref": "#/components/schemas/SiteSettings"},
                                 hours={"$ref": "#/components/schemas/Hours"},
                                 services={"type": "array", "items": {"$ref": "#/components/schemas/ServiceSettings"}},
                                 counters={"type": "array", "items": {"$ref": "#/components/schemas/CounterSettings"}},
                                 motifs={"type": "array"}),
    "DeviceToken": _object(token_id=_INT, site=_STR, role=_STR, name=_STR),
    "Pairing": _object(code={"type": "string", "pattern": "^[A-Z0-9]{4}-[A-Z0-9]{4}$"}, site=_STR,
                       role={"enum": ["kiosk", "display"]}, expires_at=_STR),
    "PairedDevice": _object(token=_STR, token_id=_INT, site=_STR, role={"enum": ["kiosk", "display"]}),
    "DeviceStatus": _object(id=_INT, role=_STR, name=_STR, online={"type": "boolean"}, last_seen=_NULLSTR,
                            printer=_NULLSTR),
    "Device": _object(id=_INT, site=_STR, role=_STR, name=_STR, created_at=_STR, revoked_at=_NULLSTR),
    "AuditEntry": _object(at=_STR, site=_NULLSTR, actor=_STR, action=_STR, target=_STR, address=_STR, detail=_STR),
    # The citizen record (CRM): a party as staff read it; what each kind has beyond these is in the body it was
    # created with (PersonBody, AssociationBody, CompanyBody).
    "TimelineEntry": {**_object(id=_INT, at=_STR, kind={"enum": ["visit", "appointment", "request", "message", "call",
                                                                   "note", "survey"]},
                                site=_NULLSTR, service=_NULLSTR, sector=_NULLSTR, summary=_STR, ref=_STR),
                      "description": "an entry of another sector than the reader's has only its kind, date, site, "
                                     "service and sector (outline: true, summary and ref empty); one of a sealed "
                                     "sector the reader is not in is not listed"},
    "Party": _object(id=_INT, kind={"enum": ["person", "association", "company"]}, display_name=_STR,
                     phones={"type": "array", "items": _STR}, emails={"type": "array", "items": _STR},
                     address=_NULLSTR, consents=_object(sms={"type": "boolean"}, email={"type": "boolean"},
                                                         surveys={"type": "boolean"}),
                     relations={"type": "array", "items": _object(
                         party=_INT, kind=_STR, display_name=_STR, role={"enum": list(RELATION_ROLES)},
                         direction={"enum": ["of", "has"]})},
                     timeline={"type": "array", "items": {"$ref": "#/components/schemas/TimelineEntry"}}),
    "PartyList": _object(items={"type": "array", "items": _object(
        id=_INT, kind=_STR, display_name=_STR, phones={"type": "array", "items": _STR},
        emails={"type": "array", "items": _STR}, last_interaction_at=_STR)}),
    "Duplicates": _object(items={"type": "array", "items": _object(
        id=_INT, reason=_STR, found_at=_STR, parties={"type": "array", "minItems": 2, "maxItems": 2})}),
    "Purges": _object(items={"type": "array", "items": _object(
        id=_INT, at=_STR, actor=_STR, reason={"enum": ["retention", "erasure"]}, until=_NULLSTR,
        parties={"type": "array", "items": _object(id=_INT, kind=_STR, last_interaction_at=_STR)})}),
    "Sector": _object(id=_STR, name=_STR, sealed={"type": "boolean"},
                      services={"type": "array", "items": _object(site=_STR, service=_STR)},
                      members={"type": "array", "items": _STR}),
    "Sectors": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/Sector"}}),
    # Booking (API.md "Appointments"): a motif as /motifs lists it, the free slots, an appointment.
    "Motif": _object(id=_STR, service=_STR, name=_STR, duration_min=_INT, capacity=_INT, description=_STR,
                     public={"type": "boolean"}, instructions=_STR, documents={"type": "array", "items": _STR},
                     min_notice_h={"type": "number"}, horizon_days=_INT, cancel_cutoff_h={"type": "number"},
                     languages={"type": "array", "items": _STR}, questions={"type": "array", "items": _object(
                         id=_STR, label=_STR, kind={"enum": ["count", "text", "choice", "application_ids",
                                                             "commune"]},
                         required={"type": "boolean"}, choices={"type": "array", "items": _STR}, minimum=_INT,
                         maximum=_INT)},
                     duration_rule={"anyOf": [_object(question=_STR, per_extra_min=_INT), {"type": "null"}]},
                     ants={"enum": ["demande", "retrait", None]}, public_holidays=_NULLSTR),
    "Slots": {**_object(motif=_STR, duration_min=_INT, slots={"type": "array", "items": _object(
        start={"type": "string", "format": "date-time"}, end={"type": "string", "format": "date-time"},
        free={"type": "integer", "minimum": 1})}),
              "description": "the free slots, in start order, times in UTC (Z); only those with a free place"},
    "Appointment": _object(
        id=_STR, code={"type": "string", "pattern": "^[0-9A-HJKMNPR-TV-Z]{6}$"}, site=_STR, motif=_STR, service=_STR,
        start={"type": "string", "format": "date-time"}, end={"type": "string", "format": "date-time"},
        status={"enum": ["booked", "cancelled", "checked_in", "done", "no_show"]},
        person=_object(first_name=_STR, last_name=_STR, email=_NULLSTR, phone=_NULLSTR),
        party={"type": ["integer", "null"]}, lang=_STR, answers={"type": "object"}, ticket=_NULLSTR,
        sequence=_INT, visit=_NULLSTR),
    "AppointmentList": _object(date={"type": "string", "format": "date"},
                               items={"type": "array", "items": {"$ref": "#/components/schemas/Appointment"}}),
    "Appointments": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/Appointment"}}),
    "Challenge": _object(challenge=_STR, difficulty=_INT, expires_in_s=_INT),
    "PhoneCheck": _object(id=_STR, expires_in_s=_INT),
    "PhoneToken": _object(token=_STR),
    "WaitingEntry": _object(id=_INT, motif=_STR, before={"type": "string", "format": "date"},
                            person=_object(first_name=_STR, last_name=_STR, email=_NULLSTR, phone=_NULLSTR),
                            party={"type": ["integer", "null"]}, appointment=_NULLSTR, created_at=_STR),
    "WaitingList": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/WaitingEntry"}}),
    "BookingPurges": _object(items={"type": "array", "items": _object(
        id=_INT, at=_STR, before={"type": "string", "format": "date"}, appointments=_INT, waiting=_INT)}),
    # Requests (API.md "Requests"): a category as citizens choose it, a request, a message.
    "RequestCategory": _object(id=_STR, name=_STR),
    "RequestMessage": _object(at={"type": "string", "format": "date-time"}, **{"from": {"enum": ["citizen", "staff"]}},
                              body=_STR, internal={"type": "boolean"}),
    "Request": {**_object(
        id=_STR, reference={"type": "string", "pattern": "^DEM-[0-9]{4}-[0-9]{6,}$"}, category=_STR, subject=_STR,
        status={"enum": ["received", "in_progress", "waiting_citizen", "closed"]},
        received_at={"type": "string", "format": "date-time"},
        channel={"enum": ["web", "email", "postal", "phone", "counter"]},
        due_on={"type": "string", "format": "date"}, service=_STR,
        acknowledged_at={"type": ["string", "null"], "format": "date-time",
                         "description": "when its acknowledgement of receipt went (by e-mail, or printed for a "
                                        "sender without e-mail); null: still to send"},
        messages={"type": "array", "items": {"$ref": "#/components/schemas/RequestMessage"}},
        attachments={"type": "array", "items": {"$ref": "#/components/schemas/RequestAttachment"}},
        transmitted_to=_NULLSTR,
        merged_into={"type": ["object", "null"], "required": ["reference"],
                     "properties": {"id": _STR, "reference": _STR}}),
        "description": "staff also read person and organisation (the sender), party (the citizen record's party "
                       "staff linked it to, or null), assignee (a login or null), transmission and transmitted_from "
                       "(the copy made in, or the request copied from, another collectivity of this installation by "
                       "a transmission), merged (the duplicates merged into it, with their messages and files), and "
                       "merged_into's id; the holder of the id reads the public messages only"},
    "RequestAttachment": _object(id=_INT, filename=_STR, content_type=_STR, size=_INT),
    "Requests": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/Request"}}),
    "OverdueRequests": _object(count=_INT, items={"type": "array", "items": _object(
        id=_STR, reference=_STR, service=_STR, due_on={"type": "string", "format": "date"}, assignee=_NULLSTR,
        days_late={"type": "integer", "minimum": 1})}),
    "RequestTemplate": _object(id={"type": ["integer", "null"]}, title=_STR, body=_STR, position=_INT, lang=_STR),
    "RequestTemplates": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/RequestTemplate"}},
                                builtin={"type": "boolean"}),
    "RequestFigures": _object(received=_INT, closed=_INT, open=_INT, overdue=_INT,
                              first_answer_hours=_NULLNUM, closure_days=_NULLNUM),
    "RequestStats": _object(
        tenant=_STR, **{"from": {"type": "string", "format": "date"}}, to={"type": "string", "format": "date"},
        by={"enum": list(STATS_GROUPINGS)},
        groups={"type": "array", "items": {"allOf": [
            _object(key=_NULLSTR, label=_STR), {"$ref": "#/components/schemas/RequestFigures"}]}},
        total={"$ref": "#/components/schemas/RequestFigures"},
        days={"type": "array", "items": _object(day={"type": "string", "format": "date"}, received=_INT,
                                                closed=_INT)}),
    "RequestPurges": _object(items={"type": "array", "items": _object(
        id=_INT, at=_STR, before=_STR, requests=_INT, references={"type": "array", "items": _STR})}),
    # The phone desk: a call as staff log and read it, the callback it promised, the reasons, the figures.
    "PhoneCallback": _object(
        id=_INT, call=_STR, due_at={"type": "string", "format": "date-time"}, phone=_STR, agent=_NULLSTR,
        service=_NULLSTR, service_name=_STR, note=_STR, status={"enum": ["todo", "done"]},
        overdue={"type": "boolean"}, done_at=_NULLSTR, done_by=_NULLSTR,
        outcome={"enum": [*DONE_OUTCOMES, None]}, outcome_note=_STR, party={"type": ["integer", "null"]},
        caller=_STR, reason=_STR, reason_name=_STR, created_at=_STR),
    "PhoneCall": _object(
        id=_STR, party={"type": ["integer", "null"]}, caller=_STR, reason=_STR, reason_name=_STR, note=_STR,
        sheets={"type": "array", "items": _object(id=_STR, title=_STR, tenant=_NULLSTR)},
        outcome={"enum": list(CALL_OUTCOMES)}, service=_NULLSTR, service_name=_NULLSTR,
        started_at={"type": "string", "format": "date-time"}, ended_at={"type": "string", "format": "date-time"},
        duration_s=_INT, agent=_STR, agent_name=_STR,
        callback={"anyOf": [{"$ref": "#/components/schemas/PhoneCallback"}, {"type": "null"}]}),
    "PhoneCalls": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/PhoneCall"}}),
    "PhoneCallbacks": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/PhoneCallback"}},
                              now=_STR),
    "PhoneReasons": _object(reasons={"type": "array", "items": _object(id=_STR, name=_STR)}),
    "PhoneStats": _object(
        tenant=_STR, **{"from": _STR, "to": _STR}, calls=_INT, mean_duration_s=_NULLNUM,
        outcomes=_object(**{outcome: _INT for outcome in CALL_OUTCOMES}),
        reasons={"type": "array", "items": _object(reason=_STR, name=_STR, calls=_INT, mean_duration_s=_NULLNUM,
                                                   outcomes={"type": "object"})},
        hours={"type": "array", "minItems": 24, "maxItems": 24, "items": _object(hour=_INT, calls=_INT)},
        callbacks=_object(asked=_INT, done=_INT, overdue=_INT, pending=_INT)),
    "PhonePurges": _object(items={"type": "array", "items": _object(
        id=_INT, at=_STR, before=_STR, calls=_INT, callbacks=_INT)}),
    "RequestCategorySettings": _object(
        id=_STR, name=_STR, position=_INT, public={"type": "boolean"}, site=_NULLSTR,
        service=_object(name=_STR, address=_STR, email=_NULLSTR, phone=_STR),
        implicit={"enum": ["none", "acceptance", "rejection"]}, delay=_object(months=_INT, days=_INT),
        appeal=_STR, answer_days=_INT, acknowledge_at_once={"type": "boolean"}),
    # The surveys (API.md "Surveys"): a survey's questions, the results per service, the campaigns, the purges.
    "Survey": _object(
        site=_object(id=_STR, name=_STR), service=_object(id=_STR, name=_STR),
        kind={"enum": ["visit", "appointment", "request"]}, lang=_STR,
        expires_at={"type": "string", "format": "date-time"},
        questions={"type": "array", "items": {"type": "object", "required": ["id", "type", "required"],
                                              "properties": {"id": _STR, "type": {"enum": ["score", "text", "choice"]},
                                                             "required": {"type": "boolean"}, "label": _STR,
                                                             "choices": _STRS, "min": _INT, "max": _INT,
                                                             "max_length": _INT}}}),
    "SurveyRecorded": _object(recorded={"type": "boolean"}),
    "SurveyResults": _object(
        site=_STR, **{"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}},
        kind={"enum": ["visit", "appointment", "request", "kiosk", None]},
        services={"type": "array", "items": _object(
            service=_STR, name=_STR, answers=_INT, mean=_NULLNUM,
            distribution=_object(**{str(n): _INT for n in range(1, 6)}), comments=_STRS, invitations=_INT,
            response_rate=_NULLNUM)},
        total=_object(answers=_INT, mean=_NULLNUM, distribution=_object(**{str(n): _INT for n in range(1, 6)}),
                      comments=_STRS, invitations=_INT, response_rate=_NULLNUM),
        grain={"enum": ["day", "week"]},
        trend={"type": "array", "items": _object(start={"type": "string", "format": "date"}, answers=_INT,
                                                 mean=_NULLNUM)},
        alerts={"type": "array", "items": _object(service=_STR, name=_STR, mean={"type": "number"})}),
    "SurveyCampaign": _object(
        id=_STR, name=_STR, first={"type": "string", "format": "date"}, last={"type": "string", "format": "date"},
        services=_STRS, questions={"type": "array", "items": _object(
            id=_STR, kind={"enum": ["choice", "text"]}, label=_STR, choices=_STRS)}),
    "SurveyCampaigns": _object(items={"type": "array", "items": {"$ref": "#/components/schemas/SurveyCampaign"}}),
    "SurveyPurges": _object(items={"type": "array", "items": _object(
        id=_INT, at=_STR, before=_STR, answers=_INT, invitations=_INT)}),
    # The knowledge base (API.md "Knowledge base"): a sheet as its readers read it, what a search finds, a sheet's
    # versions and the difference between two, the partners, a local note.
    **_kb_schemas(),
    "ReportStats": _object(count=_INT, mean=_NULLNUM, median=_NULLNUM, p90=_NULLNUM),
    "ReportGroup": _object(key=_NULLSTR, label=_NULLSTR, issued=_INT, served=_INT, no_show=_INT, cancelled=_INT,
                           wait_s={"$ref": "#/components/schemas/ReportStats"},
                           service_s={"$ref": "#/components/schemas/ReportStats"}),
    "Report": _object(site=_STR, **{"from": _STR, "to": _STR},
                      by={"enum": list(GROUPINGS)},
                      groups={"type": "array", "items": {"$ref": "#/components/schemas/ReportGroup"}}),
}

_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}


# What fields of a Ticket mean beyond their type: its TypedDict (queue/protocol.py, which the device clients import
# without pydantic) cannot carry descriptions.
_TICKET_FIELDS = {
    "position": "a waiting ticket's rank in its service's queue, in call order (0: next): appointment tickets, then "
                "priority tickets, then tickets transferred to the front, then arrival; a walk-in counts the "
                "appointment tickets ahead of it whatever their arrival. null: not waiting",
    "appointment": "staff only: the reference of the appointment this ticket is the check-in of (the booking's "
                   "6-character code), null for a walk-in; never in what kiosks, displays or the ticket's holder "
                   "receive (they get booked)",
    "booked": "an appointment ticket, called before the walk-ins of the services a counter serves, the earlier "
              "check-in first; public. Absent from a ticket of a past day (the history does not keep it)",
}

# The wire TypedDicts are named ``*View`` in the code; the document uses the names of API.md.
_PUBLIC_NAMES = {"TicketView": "Ticket", "SnapshotView": "Snapshot", "CounterView": "Counter",
                 "ServiceView": "Service", "PrinterView": "Printer"}


def _public(name: str) -> str:
    return _PUBLIC_NAMES.get(name, name)


def _renamed(node: Any) -> Any:
    """``node`` with every ``$ref`` to a ``*View`` pointing at its public name instead."""
    if isinstance(node, dict):
        return {k: _ref(_public(v.rsplit("/", 1)[1]))["$ref"] if k == "$ref" else _renamed(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v) for v in node]
    return node


def _schemas() -> dict[str, Any]:
    out: dict[str, Any] = {"Problem": _PROBLEM}
    out.update(_RESPONSES)
    kinds = (TicketView, SnapshotView, PrinterView, IssueBody, NextBody, TransferBody, CallBody, ReprintBody,
             PrinterBody, PairingBody, PairBody, PhoneBody, MessageBody, NoteBody, NoteView, ServiceBody, CounterBody,
             HoursBody, SiteBody, PartyBody, ChangeBody, PartyNoteBody, RelationBody, MergeBody, SectorBody,
             RemoteBody, FinishBody, PauseBody, AgentDayView)
    for kind in kinds:
        schema = TypeAdapter(kind).json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            out[_public(name)] = definition
        out[_public(kind.__name__)] = schema
    for name, description in _TICKET_FIELDS.items():
        out["Ticket"]["properties"][name]["description"] = description
    _ref_or_null = {"type": ["object", "null"], "required": ["tenant", "reference"],
                    "properties": {"tenant": _STR, "reference": _STR}}
    out["Request"]["properties"].update(
        assignee=_NULLSTR, transmission=_ref_or_null, transmitted_from=_ref_or_null,
        merged={"type": "array", "items": _object(
            id=_STR, reference=_STR, subject=_STR, received_at={"type": "string", "format": "date-time"},
            messages={"type": "array", "items": _ref("RequestMessage")},
            attachments={"type": "array", "items": _ref("RequestAttachment")})})
    for request_body in (RequestBody, RequestMessageBody, RequestStatusBody, RequestAssigneeBody, RequestTransmitBody,
                         RequestMergeBody, RequestTemplateBody):  # their nested models: Request*
        schema = request_body.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[request_body.__name__] = schema
    for phone_body in (PhoneCallBody, PhoneDoneBody, PhoneReasonsBody):  # their nested models: Phone*
        schema = phone_body.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[phone_body.__name__] = schema
    # SurveyCampaignBody's questions: SurveyQuestionBody
    for survey_body in (SurveyAnswerBody, SurveyCampaignBody, KioskAnswerBody):
        schema = survey_body.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[survey_body.__name__] = schema
    for kb_body in (SheetBody, SheetNoteBody, PartnersBody, SheetPreviewBody):  # SheetBody's links: SheetLinksBody
        schema = kb_body.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[kb_body.__name__] = schema
    out["RequestCategoryBody"] = RequestCategoryBody.model_json_schema(ref_template="#/components/schemas/{model}")
    out["RequestPartyBody"] = RequestPartyBody.model_json_schema(ref_template="#/components/schemas/{model}")
    definition = CategoryDefinitionBody.model_json_schema(ref_template="#/components/schemas/{model}")
    out.update(definition.pop("$defs", {}))  # CategoryServiceBody, CategoryDelayBody
    out["CategoryDefinitionBody"] = definition
    for body in (MotifBody, AppointmentBody, CancelBody, MoveBody, ConfirmBody, CheckInBody, PhoneCheckBody, CodeBody,
                 WaitingBody):
        # Booking's bodies: their nested models are named apart (the CRM has a PersonBody of its own).
        schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            out[_BOOKING_NAMES.get(name, name)] = {**definition, "title": _BOOKING_NAMES.get(name, name)}
        out[body.__name__] = _booking_renamed(schema)
    # An answer's key is a question's id: no other key is taken (pydantic states the keys' pattern alone).
    out["AppointmentBody"]["properties"]["answers"]["additionalProperties"] = False
    out["SurveyAnswerBody"]["properties"]["answers"]["additionalProperties"] = False
    # An address whose domain is of special use (RFC 6761: example.test, host.local...) receives no e-mail: refused,
    # in every body (the citizen record's, booking's, the waiting list's).
    _no_special_use(out)
    # The regions whose public holidays are known: any other is refused (422), as the document now says.
    out["MotifBody"]["properties"]["public_holidays"]["anyOf"] = [
        {"enum": regions()}, {"type": "null"}]
    for schema in out.values():
        _no_null_defaults(schema)
        if "title" in schema:
            schema["title"] = _public(schema["title"])
    return _renamed(out)  # type: ignore[no-any-return]


# What email_validator (pydantic's EmailStr) refuses of an address JSON Schema's format takes: a domain of special
# use, in any case. A lookahead of plain classes, which ECMA-262 and Python read alike.
NO_SPECIAL_USE_DOMAIN = "^(?![^@]*@(?:[^@]*[.])?(?:{})[.]?$)".format("|".join(
    "".join(f"[{c.upper()}{c}]" for c in name) for name in ("arpa", "invalid", "local", "localhost", "onion", "test")))
def _no_special_use(node: Any) -> None:
    """Every e-mail address of the schemas below ``node`` held to ``NO_SPECIAL_USE_DOMAIN``."""
    if isinstance(node, dict):
        if node.get("format") == "email" and node.get("type") == "string":
            node["pattern"] = NO_SPECIAL_USE_DOMAIN
        for value in node.values():
            _no_special_use(value)
    elif isinstance(node, list):
        for value in node:
            _no_special_use(value)


# Booking's nested models whose names another module's models have: the document's names for them.
_BOOKING_NAMES = {"PersonBody": "AppointmentPerson"}


def _booking_renamed(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (f"#/components/schemas/{_BOOKING_NAMES.get(v.rsplit('/', 1)[1], v.rsplit('/', 1)[1])}"
                    if k == "$ref" else _booking_renamed(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_booking_renamed(v) for v in node]
    return node


def _allows_null(node: dict[str, Any]) -> bool:
    kinds = node.get("type")
    return kinds == "null" or (isinstance(kinds, list) and "null" in kinds) or any(
        _allows_null(v) for v in node.get("anyOf", []) if isinstance(v, dict))


def _no_null_defaults(node: Any) -> None:
    """A field that may be left out but not sent as null (it keeps its value) has ``default: null`` in the
    model: not in the document, which would offer null as a value."""
    if isinstance(node, dict):
        for prop in node.get("properties", {}).values():
            if isinstance(prop, dict) and "default" in prop and prop["default"] is None and not _allows_null(prop):
                del prop["default"]
        for value in node.values():
            _no_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _no_null_defaults(value)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "problem", "content": {"application/problem+json": {"schema": _ref("Problem")}}}
            for s in statuses}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


# A path parameter is one whole segment: never a "/" (even encoded, the server routes it as one), never "." or
# ".." (URLs are normalised: /tickets/./recall is /tickets/recall). Ids are at most 64 characters; any other
# value of this shape that names nothing is a 404.
PATH_SEGMENT = r"^(?:[^/.]|\.[^/.]|\.\.[^/])[^/]*$"


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": PATH_SEGMENT}}


# What the server takes as an Idempotency-Key: 1 to 255 characters that Python calls printable, as Starlette
# reads a header (latin-1: printable ASCII and \xa1-\xff but the soft hyphen \xad). HTTP drops the spaces
# around a header's value: it neither starts nor ends with one.
_KEY_CHAR, _KEY_EDGE = r"[\x20-\x7e\xa1-\xac\xae-\xff]", r"[\x21-\x7e\xa1-\xac\xae-\xff]"
IDEMPOTENCY_KEY = rf"^{_KEY_EDGE}(?:{_KEY_CHAR}{{0,253}}{_KEY_EDGE})?$"
REMOTE_KEY = rf"^{_KEY_EDGE}(?:{_KEY_CHAR}{{0,198}}{_KEY_EDGE})?$"  # a ticket from home: 200 characters at most


def _op(summary: str, params: list[str], responses: dict[str, Any], body: str | None = None,
        secured: bool = True, optional_body: bool = False,
        headers: list[dict[str, Any]] | None = None, image: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [_param(p) for p in params] + (headers or []),
        "responses": responses,
    }
    if body:
        op["requestBody"] = {"required": not optional_body,
                             "content": {"application/json": {"schema": _ref(body)}}}
    if image:  # the body is a file: what no schema states (a PNG or a JPEG) is a 422 of its own kind
        binary = {"schema": {"type": "string", "format": "binary"}}
        op["requestBody"] = {"required": True, "content": {"image/png": binary, "image/jpeg": binary}}
    if secured:  # a device's token, or a person's session (then X-CSRF-Token on every POST)
        op["security"] = [{"bearer": []}, {"session": []}]
    return op


def _list(name: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"type": "array", "items": _ref(name)}}}}


def _narrowed(op: dict[str, Any], **patterns: str) -> dict[str, Any]:
    """``op`` with the named path parameters held to ``patterns`` (ids that these operations create)."""
    for param in op["parameters"]:
        if param["name"] in patterns:
            param["schema"] = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": patterns[param["name"]]}
    return op


def _crm_paths() -> dict[str, Any]:
    """The citizen record (API.md "Citizen record (CRM)"): staff of the collectivity read and add, supervisors
    export and merge, administrators erase and set the sectors; another collectivity is unknown (404)."""
    tenant, party = ["tenant"], ["tenant", "party"]
    query = [{"name": "q", "in": "query", "required": True, "description": (
        "a name (words in any order, without accents or case, one typo per word of 4 letters or more, the last "
        "word as a beginning), a phone number in any format, a whole e-mail address, a SIRET, SIREN or RNA "
        "number; 1 to 200 characters, not blank"),
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY, "pattern": NOT_BLANK}}]
    written = _problems(400, 401, 403, 404, 413, 422, 503)
    return {
        "/api/v1/tenants/{tenant}/parties": {
            "post": _op("Add a person, an association or a company to the citizen record (staff): the answer "
                        "names the likely duplicates (also queued for a supervisor)", tenant,
                        {"201": _json("Party", "the new party"), **written}, body="PartyBody"),
            "get": _op("Find parties as staff type (staff; audited with the numbers shown, never the words)",
                       tenant, {"200": _json("PartyList", "the parties found, best first (at most 20)"),
                                **_problems(401, 403, 404, 422, 503)}, headers=query)},
        "/api/v1/tenants/{tenant}/parties/{party}": {
            "get": _op("A party with its relations and its timeline, newest first, as the reader's sectors allow "
                       "(staff; audited)", party, {"200": _json("Party", "the party"),
                                                   **_problems(401, 403, 404, 503)}),
            "patch": _op("Rectify a party: the fields given replace its own (staff; audited)", party,
                         {"200": _json("Party", "the party now"), **written}, body="ChangeBody"),
            "delete": _op("Erase a party everywhere it was held; a deletion report keeps its number only (admin)",
                          party, {"204": {"description": "erased"}, **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/parties/{party}/notes": {"post": _op(
            "A note on the party's timeline, in one of the author's sectors or general (staff)", party,
            {"201": _json("TimelineEntry", "the note"), **written}, body="PartyNoteBody")},
        "/api/v1/tenants/{tenant}/parties/{party}/relations": {"post": _op(
            "The person's role in an association or a company (staff)", party,
            {"201": _json("Party", "the person now"), **written}, body="RelationBody")},
        "/api/v1/tenants/{tenant}/parties/{party}/export": {"get": _op(
            "Everything held on the party, for the right of access (supervisor, admin; audited)", party,
            {"200": _json("Party", "the party whole, with every entry of every sector"),
             **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/parties/{party}/merge": {"post": _op(
            "Merge the party into another of the same kind: every interaction, contact and relation of both is "
            "kept (supervisor, admin; audited)", party,
            {"200": _json("Party", "the party that stays"), **written}, body="MergeBody")},
        "/api/v1/tenants/{tenant}/duplicates": {"get": _op(
            "The merge queue: pairs of parties likely one (supervisor, admin)", tenant,
            {"200": _json("Duplicates", "the pairs, oldest first"), **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/duplicates/{duplicate}": {"delete": _op(
            "Two parties are not one: the pair leaves the merge queue (supervisor, admin)", ["tenant", "duplicate"],
            {"204": {"description": "dismissed"}, **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/purges": {"get": _op(
            "The deletion reports of the retention job and of erasures (admin)", tenant,
            {"200": _json("Purges", "newest first"), **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/sectors": {"get": _op(
            "The collectivity's sectors: their services and members (staff)", tenant,
            {"200": _json("Sectors", "the sectors"), **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/sectors/{sector}": {"put": _narrowed(_op(
            "Create or replace a sector: its name, whether it is sealed, its services and members (admin)",
            ["tenant", "sector"], {"200": _json("Sector", "the sector"), **written}, body="SectorBody"),
            sector=r"^[a-z0-9][a-z0-9-]{0,63}$")},
    }


def _booking_paths() -> dict[str, Any]:
    """Booking (API.md "Appointments", docs/api.md "Appointments"): anyone lists the public motifs and their
    free slots and books; staff of the site see every motif, name a party, read the day and confirm several at
    once; administrators put motifs; whoever holds an appointment's id reads, cancels and moves it; the kiosk
    and staff check in by code. Refusals are problems whose ``type`` ends with their kind."""
    site, one = ["site"], ["site", "appointment"]
    day = {"in": "query", "required": True, "schema": {"type": "string", "format": "date"}}
    slots_query = [
        {"name": "motif", "in": "query", "required": True, "description": "a motif's id (404 unknown-motif if the "
         "site has no such motif that the caller may book)", "schema": {"type": "string", "pattern": SLUG}},
        {"name": "from", **day, "description": "the first day (the site's clock), included"},
        {"name": "to", **day, "description": "the last day, included: 62 days at most from the first, not before "
                                             "it (422 invalid-range)"}]
    key = {"name": "Idempotency-Key", "in": "header", "required": False,
           "description": "The same key at the same site gives the same appointment back (200) and books nothing",
           "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY}}
    public = _problems(400, 401, 404, 413, 422, 429, 503)
    held = {"200": _json("Appointment", "the appointment now"), **public, **_problems(403, 409)}
    ticket = {"201": _json("Ticket", "the appointment's ticket, called before the walk-ins"),
              "200": _json("Ticket", "the ticket given at an earlier check-in of this appointment"),
              **_problems(400, 401, 403, 404, 409, 413, 422, 429, 503)}
    return {
        "/api/v1/sites/{site}/motifs": {"get": _op(
            "The motifs a citizen may book (public; staff see every motif, the staff-only ones too)", site,
            {"200": _list("Motif", "the motifs, in their order"), **_problems(401, 404, 503)}, secured=False)},
        "/api/v1/sites/{site}/motifs/{motif}": {"put": _narrowed(_op(
            "Create or replace a motif: its service, duration, desks, notice, horizon, hours, questions (admin; "
            "audited)", ["site", "motif"],
            {"201": _json("Motif", "created"), "200": _json("Motif", "replaced"),
             **_problems(400, 401, 403, 404, 413, 422, 503)}, body="MotifBody"), motif=SLUG)},
        "/api/v1/sites/{site}/slots": {"get": _op(
            "The free slots of a motif over a range of days (public); a.QUESTION=ANSWER query parameters give the "
            "answers that set the duration (a.personnes=3)", site,
            {"200": _json("Slots", "the free slots"), **_problems(401, 404, 422, 429, 503)}, secured=False,
            headers=slots_query)},
        "/api/v1/sites/{site}/appointments": {
            "post": _op("Book a slot (public; staff may book staff-only motifs and name a party): 409 slot-taken "
                        "when its last place is gone, too-many-appointments beyond a contact's upcoming ones; 422 "
                        "closed, outside-hours, too-soon, too-far", site,
                        {"201": _json("Appointment", "booked"),
                         "200": _json("Appointment", "the appointment of this Idempotency-Key"),
                         **public, **_problems(403, 409, 428)}, body="AppointmentBody", secured=False,
                        headers=[key, {"name": "X-Guichet-Proof", "in": "header", "required": False,
                                       "schema": {"type": "string", "maxLength": 300, "pattern": PROOF_SHAPE}}]),
            "get": _op("The appointments of a day, by start, cancelled ones included (staff)", site,
                       {"200": _json("AppointmentList", "the day's appointments"),
                        **_problems(401, 403, 404, 422, 503)}, headers=[{"name": "date", **day}])},
        "/api/v1/sites/{site}/appointments/confirm": {"post": _op(
            "One confirmation (one SMS, one e-mail with every event) for appointments booked with notify false "
            "(staff)", site, {"200": _json("Appointments", "the appointments confirmed"),
                              **_problems(400, 401, 403, 404, 413, 422, 503)}, body="ConfirmBody")},
        "/api/v1/sites/{site}/appointments/{appointment}": {"get": _op(
            "An appointment (public: its id is the key; staff too)", one,
            {"200": _json("Appointment", "the appointment"), **_problems(401, 404, 429, 503)}, secured=False)},
        "/api/v1/sites/{site}/appointments/{appointment}/ics": {"get": _op(
            "The appointment as an iCalendar file (public: its id is the key); a cancelled one cancels the event",
            one, {"200": {"description": "one VEVENT", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                  **_problems(401, 404, 429, 503)}, secured=False)},
        "/api/v1/sites/{site}/appointments/{appointment}/cancel": {"post": _op(
            "Cancel (public: its id is the key; staff too): the place is free again at once; cancelling twice "
            "changes nothing; 409 too-late within the motif's cut-off (citizens), wrong-status once over", one,
            held, body="CancelBody", optional_body=True, secured=False)},
        "/api/v1/sites/{site}/appointments/{appointment}/move": {"post": _op(
            "Move to another start of the same motif (public: its id is the key; staff too): 409 slot-taken, "
            "too-late, wrong-status; 422 as a booking", one, held, body="MoveBody", secured=False)},
        "/api/v1/sites/{site}/check-in": {"post": _op(
            "Check in by the appointment's code (kiosk, staff): its ticket; 404 unknown-code; 409 "
            "appointment-cancelled, already-checked-in, appointment-over; 422 not-today, too-early (the detail "
            "says from when), too-late", site, ticket, body="CheckInBody")},
        "/api/v1/sites/{site}/challenge": {"get": _op(
            "A proof-of-work challenge for an anonymous booking beyond the free allowance (public): the booking sends "
            "X-Guichet-Proof: challenge:counter where SHA-256(challenge:counter) has difficulty leading zero bits",
            site, {"200": _json("Challenge", "a fresh challenge"), **_problems(401, 404, 429, 503)}, secured=False)},
        "/api/v1/sites/{site}/phone-checks": {"post": _op(
            "Send a 6-digit code by SMS to check a phone number given without an e-mail address (public)", site,
            {"201": _json("PhoneCheck", "the check; its code sent"), **_problems(400, 401, 404, 413, 422, 429, 503)},
            body="PhoneCheckBody", secured=False)},
        "/api/v1/sites/{site}/phone-checks/{check}/verify": {"post": _op(
            "The code received: a token the booking carries as phone_token (public); 422 wrong-code, 429 after 5 "
            "wrong codes, 404 unknown or expired", ["site", "check"],
            {"200": _json("PhoneToken", "the number is checked"), **_problems(400, 401, 404, 413, 422, 429, 503)},
            body="CodeBody", secured=False)},
        "/api/v1/sites/{site}/waitlist": {
            "post": _op("Wait for an earlier slot of a motif before a date (public; staff may name a party): told by "
                        "SMS and e-mail when a place frees up; 409 already-waiting", site,
                        {"201": _json("WaitingEntry", "on the list"), **public, **_problems(403, 409)},
                        body="WaitingBody", secured=False),
            "get": _op("Who waits for an earlier slot, first come first (staff); ?motif= narrows", site,
                       {"200": _json("WaitingList", "not told yet"), **_problems(401, 403, 404, 503)},
                       headers=[{"name": "motif", "in": "query", "required": False, "schema": {"type": "string"}}])},
        "/api/v1/sites/{site}/waitlist/{entry}": {"delete": _op(
            "Take someone off the waiting list (staff)", ["site", "entry"],
            {"204": {"description": "removed"}, **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/booking/purges": {"get": _op(
            "The deletion reports of booking's retention job (supervisor, admin)", ["tenant"],
            {"200": _json("BookingPurges", "newest first"), **_problems(401, 403, 404, 503)})},
    }


def _requests_paths() -> dict[str, Any]:
    """Requests (API.md "Requests"): anyone lists the public categories and files a request; staff of the
    collectivity list them, write messages and change statuses; whoever holds a request's id reads it (public
    messages only). Refusals are problems whose ``type`` ends with their kind."""
    tenant, one = ["tenant"], ["tenant", "request"]
    stats_query = [
        {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
         "description": "the period's first day (left out: the first of the month of to)"},
        {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
         "description": "the period's last day (left out: today, on the collectivity's clock)"},
        {"name": "by", "in": "query", "required": False, "schema": {"enum": list(STATS_GROUPINGS)}}]
    query = [{"name": "status", "in": "query", "required": False,
              "schema": {"enum": ["received", "in_progress", "waiting_citizen", "closed"]}},
             {"name": "category", "in": "query", "required": False,
              "schema": {"type": "string", "pattern": CATEGORY_ID}},
             {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200},
              "description": "words the request's reference, subject, messages, sender or category hold (French "
                             "stems, accents folded, the last word a prefix); the requests found come best first"},
             {"name": "assignee", "in": "query", "required": False,
              "description": "me (the signed-in person; a device's token is nobody's), none (nobody), or a login",
              "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"}},
             {"name": "overdue", "in": "query", "required": False,
              "description": "true: the open requests past their due date only",
              "schema": {"enum": ["true", "false"]}}]
    written = _problems(400, 401, 403, 404, 413, 422, 503)
    template = ["tenant", "template"]
    return {
        "/api/v1/tenants/{tenant}/request-categories": {"get": _op(
            "The categories a citizen may write in (public; staff see every one)", tenant,
            {"200": _list("RequestCategory", "the categories, in their order"), **_problems(401, 404, 503)},
            secured=False)},
        "/api/v1/tenants/{tenant}/requests": {
            "post": _op("File a request (public; staff may file one in any category and say how it came): its "
                        "reference drawn, its acknowledgement e-mailed at once. Also taken as multipart/form-data: "
                        "the same JSON in a field named data, and up to 5 files named attachments, each 10 MB at "
                        "most (413 file-too-large) and a PDF, JPEG, PNG, ODT or DOCX by its content (422 "
                        "file-type-refused naming the file). 422 unknown-category, sender-incomplete (R112-9-1: a "
                        "letter gives a postal address; an organisation its SIREN or RNA number, not both), "
                        "invalid-siren, invalid-phone; 403 channel from a citizen", tenant,
                        {"201": _json("Request", "filed"), **_problems(400, 401, 403, 404, 413, 422, 429, 503)},
                        body="RequestBody", secured=False),
            "get": _op("The collectivity's requests, newest first, narrowed by status, category, agent in charge and "
                       "lateness (staff)", tenant,
                       {"200": _json("Requests", "the requests (200 at most)"), **_problems(401, 403, 404, 422, 503)},
                       headers=query)},
        "/api/v1/tenants/{tenant}/requests/{request}": {"get": _op(
            "A request (public: its id is the key, and the holder reads the public messages only; staff read "
            "everything)", one, {"200": _json("Request", "the request"), **_problems(401, 404, 429, 503)},
            secured=False)},
        "/api/v1/tenants/{tenant}/requests/{request}/messages": {"post": _op(
            "A message on the request (staff): an internal note, or a reply e-mailed to the citizen with the "
            "reference in its subject", one, {"201": _json("RequestMessage", "the message"),
                                             **_problems(400, 401, 403, 404, 413, 422, 503)},
            body="RequestMessageBody")},
        "/api/v1/tenants/{tenant}/requests/{request}/status": {"post": _op(
            "Change the request's status (staff): 409 wrong-status when its status does not allow it (a closed "
            "request is only reopened, in_progress); the same status changes nothing", one,
            {"200": _json("Request", "the request now"), **_problems(400, 401, 403, 404, 409, 413, 422, 503)},
            body="RequestStatusBody")},
        "/api/v1/tenants/{tenant}/requests/{request}/acknowledge": {"post": _op(
            "Send the acknowledgement of receipt by e-mail now (staff), for a category that acknowledges in two "
            "steps (a registration receipt at creation; else it goes by itself before 7 days have passed): 409 "
            "already-acknowledged when it went, 409 no-email when the sender gave no e-mail address (print it: "
            "/demandes/{id}/accuse)", one,
            {"200": _json("Request", "the request, acknowledged_at set"), **_problems(401, 403, 404, 409, 503)})},
        "/api/v1/tenants/{tenant}/requests/{request}/printed": {"post": _op(
            "The printable acknowledgement of receipt was printed (staff; audited): for a sender who gave no e-mail "
            "address it is their acknowledgement, and acknowledged_at is set the first time", one,
            {"200": _json("Request", "the request"), **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/request-categories/{category}": {
            "get": _op("A category as a whole: its service, its legal mentions, its delays, how it acknowledges "
                       "(administrators)", ["tenant", "category"],
                       {"200": _json("RequestCategorySettings", "the category"),
                        **_problems(401, 403, 404, 503)}),
            "put": _narrowed(_op(
                "Create or replace a category (administrators; audited): its mentions are checked as an "
                "acknowledgement of receipt needs them (R112-11-1, R112-11-2: 422 incomplete-category naming the "
                "field: service.name, service.address, service.phone, delay, appeal), its site one of the "
                "collectivity's (422 unknown-site)", ["tenant", "category"],
                {"201": _json("RequestCategorySettings", "created"), "200": _json("RequestCategorySettings",
                                                                                    "replaced"),
                 **_problems(400, 401, 403, 404, 413, 422, 503)}, body="CategoryDefinitionBody"),
                category=CATEGORY_ID)},
        "/api/v1/tenants/{tenant}/requests/{request}/category": {"post": _op(
            "Hand the request to another category, so to its service (staff); 422 an unknown category", one,
            {"200": _json("Request", "the request now"), **_problems(400, 401, 403, 404, 413, 422, 503)},
            body="RequestCategoryBody")},
        "/api/v1/tenants/{tenant}/requests/{request}/party": {"post": _op(
            "Link the request to a party of the citizen record (staff): its steps go on that party's timeline, and "
            "erasing the party erases the sender; 422 unknown-party naming party", one,
            {"200": _json("Request", "the request now"), **_problems(400, 401, 403, 404, 413, 422, 503)},
            body="RequestPartyBody")},
        "/api/v1/tenants/{tenant}/requests/stats": {"get": _op(
            "The requests' figures over a period (supervisor, admin): received, closed, open and overdue, median "
            "hours to the first answer and days to closure, per category, service or channel, and per day; 422 "
            "invalid-range for a period that ends before it starts or spans more than a year", tenant,
            {"200": _json("RequestStats", "per group, in total and per day"), **_problems(401, 403, 404, 422, 503)},
            headers=stats_query)},
        "/api/v1/tenants/{tenant}/requests/stats.csv": {"get": _op(
            "The same figures as a spreadsheet, one row per group and the total (supervisor, admin)", tenant,
            {"200": {"description": "groups", "content": {"text/csv": {"schema": {"type": "string"}}}},
             **_problems(401, 403, 404, 422, 503)},
            headers=[*stats_query, {"name": "lang", "in": "query", "required": False,
                                    "schema": {"enum": ["fr", "en"]},
                                    "description": "the spreadsheet's language (French by default: ';' between "
                                                   "cells, decimal comma, a byte order mark)"}])},
        "/api/v1/tenants/{tenant}/requests/purges": {"get": _op(
            "The deletion reports of the requests' retention job (admin): when, closed before when, how many and "
            "their references", tenant,
            {"200": _json("RequestPurges", "newest first"), **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/requests/{request}/assignee": {"post": _op(
            "Put a staff member in charge of the request, or nobody (staff); 422 unknown-user for a login that is no "
            "staff member's of the collectivity", one,
            {"200": _json("Request", "the request now"), **written}, body="RequestAssigneeBody")},
        "/api/v1/tenants/{tenant}/requests/{request}/transmit": {"post": _op(
            "Transmit the request to the competent administration (CRPA L114-2) and close it (staff): its sender is "
            "told by e-mail, the administration gets it by e-mail when its address is given, and a collectivity of "
            "this installation (tenant) gets it filed with its own reference; 409 wrong-status for a closed "
            "request, 422 unknown-administration, unknown-category", one,
            {"200": _json("Request", "the request, closed"), **_problems(400, 401, 403, 404, 409, 413, 422, 503)},
            body="RequestTransmitBody")},
        "/api/v1/tenants/{tenant}/requests/{request}/merge": {"post": _op(
            "Merge the request, a duplicate, into another of the collectivity and close it (staff): its messages and "
            "files are shown with the one kept, its sender is told by e-mail which reference to follow; 409 "
            "merge-into-itself, wrong-status (either closed, or the other a duplicate itself), 422 unknown-request",
            one, {"200": _json("Request", "the duplicate, closed"),
                  **_problems(400, 401, 403, 404, 409, 413, 422, 503)}, body="RequestMergeBody")},
        "/api/v1/tenants/{tenant}/requests/overdue": {"get": _op(
            "The open requests past their due date, the most late first (supervisor, admin)", tenant,
            {"200": _json("OverdueRequests", "how many, and the 200 most late"), **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/request-templates": {
            "get": _op("The collectivity's reply templates, in their order, or the built-in ones while it has none "
                       "(staff)", tenant, {"200": _json("RequestTemplates", "the templates"),
                                           **_problems(401, 403, 404, 503)}),
            "post": _op("Add a reply template (supervisor, admin); the first one keeps the built-in ones beside it; "
                        "422 unknown-placeholder", tenant, {"201": _json("RequestTemplate", "the template"), **written},
                        body="RequestTemplateBody")},
        "/api/v1/tenants/{tenant}/request-templates/{template}": {
            "put": _narrowed(_op("Replace a reply template (supervisor, admin); 422 unknown-placeholder", template,
                                 {"200": _json("RequestTemplate", "the template"), **written},
                                 body="RequestTemplateBody"), template="^[0-9]{1,9}$"),
            "delete": _narrowed(_op("Delete a reply template (supervisor, admin)", template,
                                    {"204": {"description": "deleted"}, **_problems(401, 403, 404, 503)}),
                                template="^[0-9]{1,9}$")},
    }


def _phone_paths() -> dict[str, Any]:
    """The phone desk: staff log calls and read them, list the callbacks to do and mark them done; supervisors read
    the figures and every overdue callback; administrators set the reasons and read the retention's reports. Another
    collectivity is unknown (404)."""
    tenant, base = ["tenant"], "/api/v1/tenants/{tenant}/phone"
    flag = {"enum": ["true", "false"]}
    calls_query = [
        {"name": "party", "in": "query", "required": False, "description": "only this party's calls (audited)",
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
        {"name": "mine", "in": "query", "required": False, "description": "only the calls the caller logged",
         "schema": flag},
        {"name": "limit", "in": "query", "required": False, "description": "at most so many (50 by default)",
         "schema": {"type": "integer", "minimum": 1, "maximum": CALLS_LIMIT}}]
    callbacks_query = [
        {"name": "mine", "in": "query", "required": False, "schema": flag,
         "description": "the callbacks assigned to the caller (a person)"},
        {"name": "service", "in": "query", "required": False, "schema": {"type": "string", "pattern": PHONE_SLUG},
         "description": "the callbacks assigned to this service (with mine: either)"},
        {"name": "overdue", "in": "query", "required": False, "schema": flag,
         "description": "only those past their time (supervisors and administrators: 403 otherwise)"},
        {"name": "status", "in": "query", "required": False, "schema": {"enum": ["todo", "done"]},
         "description": "to do (by default) or done"}]
    period = [{"name": name, "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
               "description": what} for name, what in (
        ("from", "the first local day (default: the first of to's month)"),
        ("to", "the last local day (default: today); a year at most after from (422 invalid-range)"))]
    spreadsheet = [{"name": "by", "in": "query", "required": False, "schema": {"enum": ["reason", "hour"]},
                    "description": "one row per reason (by default) or per hour of the day"},
                   {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["fr", "en"]},
                    "description": "the spreadsheet's language (French by default: ';' between cells, decimal "
                                   "comma, a byte order mark)"}]
    return {
        base + "/calls": {
            "post": _op("Log a call (staff; audited), ended now: its caller's party (or none: anonymous), reason, "
                        "note, sheets consulted, duration and how it ended; a transfer names its service, a callback "
                        "its time, number and who calls back (nobody named: the caller). 422 unknown-reason, "
                        "unknown-party, unknown-service, unknown-agent, invalid-due-time, invalid-phone, naming the "
                        "field", tenant, {"201": _json("PhoneCall", "logged"),
                                          **_problems(400, 401, 403, 404, 413, 422, 503)}, body="PhoneCallBody"),
            "get": _op("The collectivity's calls, newest first (staff)", tenant,
                       {"200": _json("PhoneCalls", "the calls"), **_problems(401, 403, 404, 422, 503)},
                       headers=calls_query)},
        base + "/calls/{call}": {"get": _op(
            "A call with its callback (staff; audited: it names a person)", ["tenant", "call"],
            {"200": _json("PhoneCall", "the call"), **_problems(401, 403, 404, 503)})},
        base + "/callbacks": {"get": _op(
            "The callbacks to do (or done), the overdue first then by their time (staff)", tenant,
            {"200": _json("PhoneCallbacks", "the callbacks, and the server's time they were judged at"),
             **_problems(401, 403, 404, 422, 503)}, headers=callbacks_query)},
        base + "/callbacks/{callback}/done": {"post": _op(
            "Mark a callback done, saying how it went (staff; audited): 409 already-done", ["tenant", "callback"],
            {"200": _json("PhoneCallback", "the callback, done"), **_problems(400, 401, 403, 404, 409, 413, 422,
                                                                                503)},
            body="PhoneDoneBody")},
        base + "/reasons": {
            "get": _op("The reasons the desk offers, in order (staff)", tenant,
                       {"200": _json("PhoneReasons", "the reasons"), **_problems(401, 403, 404, 503)}),
            "put": _op("Replace the reasons' list (admin; audited): each id once (422 duplicate-reason); the calls "
                       "logged keep theirs", tenant,
                       {"200": _json("PhoneReasons", "the reasons now"),
                        **_problems(400, 401, 403, 404, 413, 422, 503)}, body="PhoneReasonsBody")},
        base + "/stats": {"get": _op(
            "The calls of a period of local days per reason, hour of the day and outcome, their mean duration, and "
            "their callbacks asked, done, overdue and to come (supervisor, admin)", tenant,
            {"200": _json("PhoneStats", "the figures"), **_problems(401, 403, 404, 422, 503)}, headers=period)},
        base + "/stats.csv": {"get": _op(
            "The same figures as a spreadsheet (supervisor, admin)", tenant,
            {"200": {"description": "rows", "content": {"text/csv": {"schema": {"type": "string"}}}},
             **_problems(401, 403, 404, 422, 503)}, headers=[*period, *spreadsheet])},
        base + "/purges": {"get": _op(
            "The deletion reports of the calls' retention job (admin): when, ended before when, how many calls and "
            "callbacks", tenant, {"200": _json("PhonePurges", "newest first"), **_problems(401, 403, 404, 503)})},
    }


def _surveys_paths() -> dict[str, Any]:
    """The surveys (API.md "Surveys"): whoever holds a survey's token reads and answers it once (409 after, 410 once
    expired); supervisors and administrators of a site read its results, of the collectivity its campaigns;
    administrators the retention's reports."""
    token = {"name": "token", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 16, "maxLength": 43, "pattern": SURVEY_TOKEN}}
    period = [{"name": name, "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
               "description": what} for name, what in (
        ("from", "the first local day (default: 30 days before to)"),
        ("to", "the last local day (default: today); a year at most after from (422 invalid-range)"))]
    kind = {"name": "kind", "in": "query", "required": False,
            "schema": {"enum": ["visit", "appointment", "request", "kiosk"]}, "description": "one kind of contact"}
    spreadsheet = {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["fr", "en"]},
                   "description": "the spreadsheet's language (French by default: ';' between cells, decimal comma)"}
    tenant, campaigns = ["tenant"], "/api/v1/tenants/{tenant}/surveys/campaigns"
    survey = {"/api/v1/surveys/{token}": {
        "get": {**_op("A survey's questions (whoever holds the token): the score, an optional comment, a campaign's "
                      "questions; the site, the service, the language. 409 answered already, 410 expired (14 days "
                      "after it was sent); 429 beyond 120 requests a minute from one address", [],
                      {"200": _json("Survey", "the survey"), **_problems(404, 409, 410, 429, 503)}, secured=False)},
        "post": {**_op("Answer a survey, once (whoever holds the token): a score from 1 to 5, an optional comment (its "
                       "phone numbers and e-mail addresses masked before it is stored), the campaign's answers by "
                       "question (422 invalid-answer naming answers.ID); 409 answered already, 410 expired", [],
                       {"201": _json("SurveyRecorded", "recorded"),
                        **_problems(400, 404, 409, 410, 413, 422, 429, 503)}, body="SurveyAnswerBody",
                       secured=False)}},
        "/api/v1/surveys/{token}/refusal": {"post": _op(
            "No more surveys for the contact this one was sent to (whoever holds the token)", [],
            {"204": {"description": "recorded"}, **_problems(404, 429, 503)}, secured=False)}}
    for item in survey.values():
        for op in item.values():
            op["parameters"].insert(0, dict(token))
    return {
        **survey,
        "/api/v1/sites/{site}/surveys/results": {"get": _op(
            "What citizens say of a period of local days, per service: answers, mean, distribution, comments (phone "
            "numbers and e-mail addresses masked), invitations sent and response rate; the trend per day (per week "
            "beyond 31 days) and the services in alert (supervisor, admin)", ["site"],
            {"200": _json("SurveyResults", "the results"), **_problems(401, 403, 404, 422, 503)},
            headers=[*period, kind])},
        "/api/v1/sites/{site}/surveys/results.csv": {"get": _op(
            "The same results as a spreadsheet, one row per service then the total (supervisor, admin)", ["site"],
            {"200": {"description": "rows", "content": {"text/csv": {"schema": {"type": "string"}}}},
             **_problems(401, 403, 404, 422, 503)}, headers=[*period, kind, spreadsheet])},
        campaigns: {
            "get": _op("The collectivity's campaigns, latest first (supervisor, admin)", tenant,
                       {"200": _json("SurveyCampaigns", "the campaigns"), **_problems(401, 403, 404, 503)}),
            "post": _op("A campaign of questions of the collectivity's own for a period and services (supervisor, "
                        "admin; audited): 422 invalid-campaign naming the field (a period backwards, a question id "
                        "twice, a choice with fewer than two answers)", tenant,
                        {"201": _json("SurveyCampaign", "created"), **_problems(400, 401, 403, 404, 413, 422, 503)},
                        body="SurveyCampaignBody")},
        campaigns + "/{campaign}": {"delete": _op(
            "Delete a campaign (supervisor, admin; audited); the answers given keep theirs", ["tenant", "campaign"],
            {"204": {"description": "deleted"}, **_problems(401, 403, 404, 503)})},
        "/api/v1/tenants/{tenant}/surveys/purges": {"get": _op(
            "The deletion reports of the surveys' retention job (admin): when, before when, how many answers and "
            "invitations", tenant, {"200": _json("SurveyPurges", "newest first"), **_problems(401, 403, 404, 503)})},
        "/api/v1/sites/{site}/surveys/kiosk": {"post": _op(
            "An anonymous answer given with one touch at the site's kiosk (its token only: 403 wrong-role for "
            "anyone else), a score from 1 to 5 about the visit as a whole, filed as kind kiosk under no service; "
            "429 beyond 20 a minute from one kiosk", ["site"],
            {"201": _json("SurveyRecorded", "recorded"), **_problems(400, 401, 403, 404, 413, 422, 429, 503)},
            body="KioskAnswerBody")},
    }


def _kb_paths() -> dict[str, Any]:
    """The knowledge base (API.md "Knowledge base"): supervisors and administrators write sheets; staff read and
    search their collectivity's published sheets and the shared ones of its partners (both ways); anyone reads and
    searches the published public ones; administrators name the partners. A sheet the caller may not read is a 404
    unknown-sheet, like one that does not exist."""
    tenant, one = ["tenant"], ["tenant", "sheet"]
    written = _problems(400, 401, 403, 404, 413, 422, 503)
    read = _problems(401, 404, 429, 503)
    number = {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}
    query = [{"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": KB_MAX_QUERY},
              "description": "words the sheets' titles and texts hold (French stems, accents folded, words of one "
                             "meaning such as perdu and perte, the last word a prefix); every word first, else the "
                             "sheets holding the most of them (partial)"}]
    versions = [{"name": name, "in": "query", "required": True, "schema": number} for name in ("from", "to")]
    base = "/api/v1/tenants/{tenant}/kb"
    return {
        f"{base}/sheets": {
            "post": _op("Write a new sheet (supervisors, administrators; audited): version 1", tenant,
                        {"201": _json("Sheet", "the sheet"), **written}, body="SheetBody"),
            "get": _op("The collectivity's own sheets by title: the published public ones for anyone, the published "
                       "ones for its staff, every one for its supervisors and administrators", tenant,
                       {"200": _json("SheetList", "the sheets (500 at most)"), **read}, secured=False)},
        f"{base}/sheets/{{sheet}}": {
            "put": _op("Change a sheet (supervisors, administrators; audited): a new version, the earlier ones kept",
                       one, {"200": _json("Sheet", "the sheet, its new version"), **written}, body="SheetBody"),
            "get": _op("A sheet (public: a published public one; staff: their collectivity's, and a partner's shared "
                       "one through either collectivity's path, with their local note)", one,
                       {"200": _json("Sheet", "the sheet"), **read}, secured=False)},
        f"{base}/sheets/{{sheet}}/versions": {"get": _op(
            "Every version of a sheet of the collectivity, newest first, with its author and time (staff)", one,
            {"200": _json("SheetVersions", "newest first"), **read})},
        f"{base}/sheets/{{sheet}}/versions/{{version}}": {"get": _narrowed(_op(
            "One version of a sheet of the collectivity, whole (staff)", ["tenant", "sheet", "version"],
            {"200": _json("SheetVersion", "the version"), **read}), version=number["pattern"])},
        f"{base}/sheets/{{sheet}}/diff": {"get": _op(
            "What changed from one version of a sheet to another (staff): pieces of text the same, removed or added, "
            "lines first then words", one, {"200": _json("SheetDiff", "the difference"),
                                           **_problems(401, 404, 422, 429, 503)}, headers=versions)},
        f"{base}/sheets/{{sheet}}/note": {
            "put": _op("The collectivity's local note on a partner's sheet, written or replaced (supervisors, "
                       "administrators; audited): shown above the sheet to its own staff; 422 own-sheet on one of its "
                       "own", one, {"200": _json("LocalNote", "the note"), **written}, body="SheetNoteBody"),
            "delete": _op("The collectivity's local note on a partner's sheet removed (supervisors, administrators)",
                          one, {"204": {"description": "removed (or there was none)"},
                                **_problems(401, 403, 404, 503)})},
        f"{base}/search": {"get": _op(
            "Find sheets, best first (50 at most), each with an excerpt whose found words are marked: anyone finds "
            "the published public ones; staff their collectivity's published ones (drafts too for supervisors and "
            "administrators) and the shared published ones of its partners, each with its owner", tenant,
            {"200": _json("SheetHits", "the sheets found"), **_problems(401, 404, 422, 429, 503)}, secured=False,
            headers=query)},
        f"{base}/partners": {
            "put": _op("Name the collectivities this one shares its shared published sheets with (administrators; "
                       "audited): each reads them once it names this one too; 422 self-partner", tenant,
                       {"200": _json("KbPartners", "whom it named, and who named it back"), **written},
                       body="PartnersBody"),
            "get": _op("Whom the collectivity named, and who named it back (administrators)", tenant,
                       {"200": _json("KbPartners", "the partners"), **_problems(401, 403, 404, 503)})},
        f"{base}/review": {"get": _op(
            "The collectivity's sheets whose review date has come, archived ones aside, the most overdue first "
            "(supervisors, administrators)", tenant,
            {"200": _json("SheetList", "the sheets to review"), **_problems(401, 403, 404, 503)})},
        f"{base}/preview": {"post": _op(
            "A sheet's Markdown as the pages show it, sanitised (supervisors, administrators: the editor's preview)",
            tenant, {"200": _json("SheetPreview", "the HTML"), **written}, body="SheetPreviewBody")},
    }


def openapi_document() -> dict[str, Any]:
    site, ticket = ["site"], ["site", "ticket_id"]
    transition = {"200": _json("Ticket", "the ticket after the action"), **_problems(401, 403, 404, 409, 503)}
    paths: dict[str, Any] = {
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}},
        "/readyz": {"get": {"summary": "Readiness: Redis and the database answer",
                            "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
        "/api/v1/sites/{site}/tickets": {"post": _op(
            "Issue a ticket", site,
            {"201": _json("Ticket", "a new ticket"), "200": _json("Ticket", "the ticket of this Idempotency-Key"),
             **_problems(400, 401, 403, 404, 409, 413, 422, 429, 503)},
            body="IssueBody",
            headers=[{"name": "Idempotency-Key", "in": "header", "required": False,
                      "description": "The same key within 24 h gives the same ticket (200) and issues nothing; "
                                     "with another body it is a 422 (idempotency-key-reused)",
                      "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY}}],
        )},
        "/api/v1/sites/{site}/tickets/{ticket_id}": {"get": _op(
            "A ticket with its live position (public: the id is the key)", ticket,
            # 405: an id holding an encoded "/" that makes the path another route's (POST-only) one
            {"200": _json("Ticket", "the ticket"), **_problems(404, 405, 429, 503)}, secured=False,
        )},
        "/api/v1/sites/{site}/counters/{counter}/next": {"post": _op(
            "Call the next ticket at a counter", ["site", "counter"],
            {"200": _json("Ticket", "the called ticket"), "204": {"description": "nobody waits"},
             **_problems(400, 401, 403, 404, 409, 413, 422, 503)},
            body="NextBody", optional_body=True,
        )},
        "/api/v1/sites/{site}/tickets/{ticket_id}/transfer": {"post": _op(
            "Transfer a ticket to another service's queue", ticket,
            {**transition, **_problems(400, 413, 422)}, body="TransferBody")},
        "/api/v1/sites/{site}/tickets/{ticket_id}/call": {"post": _op(
            "Call this waiting ticket out of turn", ticket, {**transition, **_problems(400, 413, 422)},
            body="CallBody")},
        "/api/v1/sites/{site}/tickets/{ticket_id}/reprint": {"post": _op(
            "Print the ticket again at a kiosk (by default the kiosk that issued it; a ticket issued by staff "
            "needs one named): while it waits, is called or is being served; 404 unknown-kiosk for a kiosk the "
            "site does not have", ticket,
            {**transition, **_problems(400, 413, 422)}, body="ReprintBody", optional_body=True)},
        "/api/v1/sites/{site}/tickets/{ticket_id}/note": {
            "put": _op("Leave a note for the agent who serves this ticket (staff; replaces any note; kept "
                       "until the visit ends, never in the event log)", ticket,
                       {**transition, **_problems(400, 413, 422)}, body="NoteBody"),
            "get": _op("The ticket's note (staff; every read is audited); text null: none", ticket,
                       {"200": _json("NoteView", "the note"), **_problems(401, 403, 404, 503)})},
        "/api/v1/sites/{site}/display/message": {"put": _op(
            "Set the message the site's hall displays scroll, live (supervisor, admin; \"\" clears it)", site,
            {"200": _json("MessageBody", "the message now shown"), **_problems(400, 401, 403, 404, 413, 422, 503)},
            body="MessageBody")},
        "/api/v1/sites/{site}/kiosks/self/printer": {"put": _op(
            "A kiosk's printer agent reports its printer's status (kiosk token only; an event for every "
            "role's live feed only when the status changed)", site,
            {"200": _json("Printer", "the kiosk (its token id) and the status"),
             **_problems(400, 401, 403, 404, 413, 422, 503)}, body="PrinterBody")},
        "/api/v1/sites/{site}/state": {"get": _op(
            "The site's live state", site, {"200": _json("Snapshot", "snapshot"), **_problems(401, 403, 404, 503)})},
        # Configuration, applied live (admin; supervisors read): docs/api.md "Configuration". New sites, services
        # and counters take ids of a narrower form than the generic path segment: stated on their operations.
        "/api/v1/sites/{site}": {"put": _narrowed(_op(
            "Create a site of the caller's collectivity (an administrator of the whole collectivity) or change "
            "its settings: name, address, time zone, phone region, languages, colours, kiosk (a new site takes the "
            "public holidays and phone region of its time zone)", site,
            {"201": _json("SiteSettings", "the new site"), "200": _json("SiteSettings", "the site's settings"),
             **_problems(400, 401, 403, 404, 409, 413, 422, 503)}, body="SiteBody"), site=SITE_ID.pattern)},
        "/api/v1/sites/{site}/config": {"get": _op(
            "The site's whole configuration: site, hours, services, counters (supervisor, admin)", site,
            {"200": _json("SiteConfiguration", "the configuration"), **_problems(401, 403, 404, 503)})},
        "/api/v1/sites/{site}/services/{service}": {
            "put": _narrowed(_op("Create or change a service (admin; applied live)", ["site", "service"],
                       {"201": _json("ServiceSettings", "created"), "200": _json("ServiceSettings", "changed"),
                        **_problems(400, 401, 403, 404, 409, 413, 422, 503)}, body="ServiceBody"),
                             service=SERVICE_ID.pattern),
            "delete": _op("Remove a service (admin; 409 while tickets wait in it, or while a counter serves it "
                          "alone)", ["site", "service"],
                          {"204": {"description": "removed"}, **_problems(401, 403, 404, 409, 503)})},
        "/api/v1/sites/{site}/counters/{counter}": {
            "put": _narrowed(_op("Create or change a counter (admin; applied live)", ["site", "counter"],
                       {"201": _json("CounterSettings", "created"), "200": _json("CounterSettings", "changed"),
                        **_problems(400, 401, 403, 404, 409, 413, 422, 503)}, body="CounterBody"),
                             counter=COUNTER_ID.pattern),
            "delete": _op("Remove a counter (admin; 409 while it is open)", ["site", "counter"],
                          {"204": {"description": "removed"}, **_problems(401, 403, 404, 409, 503)})},
        "/api/v1/sites/{site}/logo": {
            "put": _op("Set the site's logo (admin; applied live): the body is the image, a PNG or a JPEG judged by "
                       "its content (422 invalid-logo otherwise), 512 KiB at most (413), 4096 pixels a side at most",
                       site, {"200": _json("SiteSettings", "the site's settings, whose logo names the new one"),
                              **_problems(401, 403, 404, 413, 422, 503)}, image=True),
            "delete": _op("Remove the site's logo (admin; applied live)", site,
                          {"204": {"description": "removed, or there was none"}, **_problems(401, 403, 404, 503)})},
        "/api/v1/sites/{site}/hours": {"put": _op(
            "Set the site's weekly hours, closures and public holidays (admin; applied live)", site,
            {"200": _json("Hours", "the hours now"), **_problems(400, 401, 403, 404, 409, 413, 422, 503)},
            body="HoursBody")},
    }
    paths["/api/v1/me"] = {"get": {
        "summary": "Who is asking: the signed-in person (their roles and the CSRF token for their requests), "
                   "or the device a bearer token stands for",
        "security": [{"session": []}, {"bearer": []}],
        "responses": {"200": {"description": "the person or the device", "content": {"application/json": {
            "schema": {"oneOf": [_ref("Me"), _ref("DeviceToken")]}}}}, **_problems(401, 503)}}}
    paths["/api/v1/sites/{site}/pairings"] = {"post": _op(
        "A single-use pairing code (10 minutes) for a kiosk or display of the site (admin)", site,
        {"201": _json("Pairing", "the code to type on the device"),
         **_problems(400, 401, 403, 404, 413, 422, 503)}, body="PairingBody")}
    paths["/api/v1/pair"] = {"post": _op(
        "Exchange a pairing code for the device's own token (no credentials: the code is one)", [],
        {"201": _json("PairedDevice", "the device's token, shown once"),
         **_problems(400, 404, 413, 422, 429, 503)}, body="PairBody", secured=False)}
    paths["/api/v1/sites/{site}/devices"] = {"get": _op(
        "The site's device and integration tokens (admin; never their value)", site,
        {"200": _list("Device", "the tokens"), **_problems(401, 403, 404, 503)})}
    paths["/api/v1/sites/{site}/devices/status"] = {"get": _op(
        "The site's displays and kiosks: connected now or not, last seen, each kiosk's printer (supervisor, "
        "admin)", site, {"200": _list("DeviceStatus", "the devices"), **_problems(401, 403, 404, 503)})}
    paths["/api/v1/sites/{site}/devices/{device}/revoke"] = {"post": _op(
        "Revoke a device's token (admin): it stops working, its open live feed is closed", ["site", "device"],
        {"200": _json("Device", "the revoked token"), **_problems(401, 403, 404, 503)})}
    audit_query = [{"name": "limit", "in": "query", "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
                   *({"name": name, "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
                      "description": f"{what} day of the period, included, on each entry's site's clock"}
                     for name, what in (("from", "the first"), ("to", "the last"))),
                   *({"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                      "description": what} for name, what in (
                       ("site", "only the entries of this site"),
                       ("who", "only the entries of this actor, as the log names them: user:LOGIN, token:ID, cli, "
                               "anonymous"),
                       ("action", "only the entries of this action: login, token.revoked, config.service…")))]
    paths["/api/v1/audit"] = {"get": _op(
        "The tenant's audit log, newest first (admin)", [],
        {"200": _list("AuditEntry", "entries"), **_problems(401, 403, 422, 503)}, headers=audit_query)}
    spreadsheet = {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["fr", "en"]},
                   "description": "a spreadsheet in that language (French: ';' between cells, decimal comma), with a "
                                  "byte order mark, translated column names and local times; left out: the "
                                  "machine form (commas, the documented column names, UTC)"}
    paths["/api/v1/audit.csv"] = {"get": _op(
        "The tenant's audit log as CSV (admin)", [],
        {"200": {"description": "entries", "content": {"text/csv": {"schema": {"type": "string"}}}},
         **_problems(401, 403, 422, 503)}, headers=[*audit_query, spreadsheet])}
    report_query = [
        {"name": "period", "in": "query", "required": False, "schema": {"enum": list(PERIODS)}},
        {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"},
         "description": "a day of the period (a week or month that would end after 9999-12-31 is a 422)"},
        {"name": "by", "in": "query", "required": False, "schema": {"enum": list(GROUPINGS)}},
    ]
    paths["/api/v1/sites/{site}/reports"] = {"get": _op(
        "Tickets, waits and service times (seconds: mean, median, nearest-rank 90th percentile) of a day, its "
        "ISO week or its month, by service, counter, local hour of issue or day, from the archived history "
        "(supervisor, admin)", site,
        {"200": _json("Report", "one group per key"), **_problems(401, 403, 404, 422, 503)}, headers=report_query)}
    paths["/api/v1/sites/{site}/reports.csv"] = {"get": _op(
        "The same report as CSV, one row per group (supervisor, admin)", site,
        {"200": {"description": "groups", "content": {"text/csv": {"schema": {"type": "string"}}}},
         **_problems(401, 403, 404, 422, 503)}, headers=[*report_query, spreadsheet])}
    paths["/api/v1/sites/{site}/tickets/{ticket_id}/phone"] = {
        "put": _op("Leave a mobile number for the \"your turn is near\" text message (public: the id is the "
                   "key; while the ticket waits; deleted when the visit ends)", ticket,
                   {"204": {"description": "kept"}, **_problems(400, 404, 405, 409, 413, 422, 429, 503)},
                   body="PhoneBody", secured=False),
        "delete": _op("Take the mobile number back (public: the id is the key)", ticket,
                      {"204": {"description": "forgotten"}, **_problems(404, 405, 429, 503)}, secured=False),
    }
    paths["/api/v1/sites/{site}/tickets/{ticket_id}/withdraw"] = {"post": _op(
        "\"I will not come\": the holder cancels a waiting ticket (public: the id is the key; a browser only from this "
        "server's pages, else 403 cross-origin); 409 not-waiting once called or over", ticket,
        {"200": _json("Ticket", "the cancelled ticket"), **_problems(403, 404, 409, 429, 503)}, secured=False)}
    paths["/api/v1/sites/{site}/waiting"] = {"get": _op(
        "The ticket widget's figures (public): people waiting and the estimate per service, whether each is open "
        "and when it opens, the site's hours today in words (?lang=), whether it takes tickets from home", site,
        {"200": _json("Waiting", "counts only"), **_problems(404, 429, 503)}, secured=False,
        headers=[{"name": "lang", "in": "query", "required": False, "schema": {"type": "string"}}])}
    paths["/api/v1/sites/{site}/remote-tickets"] = {"post": _op(
        "Take a ticket from home, in the ticket widget (public, nothing personal asked): 403 remote-tickets-off where "
        "the site does not allow it, 409 service-closed (opens_at) outside the service's hours, 429 beyond 3 an "
        "hour from one address", site,
        {"201": _json("Ticket", "a new ticket"), "200": _json("Ticket", "the ticket of this Idempotency-Key"),
         **_problems(400, 403, 404, 409, 413, 422, 429, 503)}, body="RemoteBody", secured=False,
        headers=[{"name": "Idempotency-Key", "in": "header", "required": False,
                  "description": "The same key the same day gives the same ticket (200) and issues nothing",
                  "schema": {"type": "string", "pattern": REMOTE_KEY}}])}
    paths.update(_crm_paths())
    paths.update(_booking_paths())
    paths.update(_requests_paths())
    paths.update(_phone_paths())
    paths.update(_kb_paths())
    paths.update(_surveys_paths())
    for action in ("recall", "start", "no-show", "cancel", "requeue"):
        paths[f"/api/v1/sites/{{site}}/tickets/{{ticket_id}}/{action}"] = {
            "post": _op(f"Ticket: {action}", ticket, transition)}
    paths["/api/v1/sites/{site}/tickets/{ticket_id}/finish"] = {"post": _op(
        "Ticket: finish, optionally saying how the visit ended (an outcome its service offers)", ticket,
        {**transition, **_problems(400, 413, 422)}, body="FinishBody", optional_body=True)}
    for action in ("open", "close"):
        paths[f"/api/v1/sites/{{site}}/counters/{{counter}}/{action}"] = {"post": _op(
            f"Counter: {action}", ["site", "counter"],
            {"200": _json("Counter", "the counter"), **_problems(401, 403, 404, 409, 503)})}
    paths["/api/v1/sites/{site}/counters/{counter}/pause"] = {"post": _op(
        "Counter: pause, optionally saying why (shown to supervisors as the counter's pause_reason)",
        ["site", "counter"],
        {"200": _json("Counter", "the counter"), **_problems(400, 401, 403, 404, 409, 413, 422, 503)},
        body="PauseBody", optional_body=True)}
    paths["/api/v1/sites/{site}/agents/me/today"] = {"get": _op(
        "The caller's own figures for today at this site: visits finished, their mean length, no-shows (staff)",
        site, {"200": _json("AgentDayView", "the figures"), **_problems(401, 403, 404, 503)})}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Guichet queue API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "guichet_session"}},
        },
    }
