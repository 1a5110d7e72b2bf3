"""``GET /a/{appointment id}/qr.svg``: the QR code of an appointment, for the citizen's confirmation (the /a/{id}
page, a printout), shown to the kiosk's reader to check in.

The QR holds the appointment's code alone (six characters, booking/domain/codes.py), not a URL: what the reader
types is what a citizen would type, and the kiosk takes either. Anyone holding the id may read it, as they read
the appointment; unknown ids are a 404 and count against the address's limit. ``no-store``: a cancelled or
moved appointment keeps its code, but the image is nobody's to keep in a shared cache.
"""

from __future__ import annotations

import io

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.booking.errors import unknown_appointment
from queue_server.booking.service import Booking
from queue_server.booking.tables import Appointment
from queue_server.platform.sessions import Limits
from queue_server.web.http import client_address, plausible_id, rate_limit

READS_PER_MINUTE = 120  # per address, as reading the appointment itself


def code_svg(code: str) -> bytes:
    """The QR code of ``code`` as an SVG image (error correction M: a crumpled printout still reads)."""
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="svg", scale=10, border=4, xmldecl=False, svgns=True,
                                                  title=None, nl=False)
    return out.getvalue()


class AppointmentQr:
    """The route, made in the lifespan with booking's service and the shared rate limits."""

    def __init__(self, booking: Booking, limits: Limits) -> None:
        self.booking = booking
        self.limits = limits

    async def qr(self, request: Request) -> Response:
        await rate_limit(self.limits, f"appointment-qr:{client_address(request)}", READS_PER_MINUTE, "This address")
        appointment_id = request.path_params["appointment"]
        row = None
        if plausible_id(appointment_id):
            async with self.booking.db() as session:
                row = await session.get(Appointment, appointment_id)
        if row is None:
            raise unknown_appointment()
        return Response(code_svg(row.code), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    def routes(self) -> list[Route]:
        return [Route("/a/{appointment}/qr.svg", self.qr, methods=["GET"])]
