"""The hall displays' idle screen in ``/admin/sites/{site}`` (section ``#display``): the forms' reading and their
refusals in the person's words. ``setup_page.py`` routes them; ``queue/display_screen.py`` makes the changes.

- ``POST …/display/message``: the message the displays show while no call is on (``dsp-message``; empty: none).
- ``POST …/display/images``: one more image of the slideshow (``dsp-image``, multipart; PNG or JPEG by content).
- ``POST …/display/images/{id}/remove``: an image out of the slideshow, at once (it is a picture, not a part of
  the queue: no confirmation page).
"""

from __future__ import annotations

from queue_server.queue.display_screen import MAX_IMAGE_BYTES, MAX_IMAGE_SIDE_PX, MAX_IMAGES, MAX_MESSAGE, BadImage
from queue_server.queue.web.setup_forms import Form, Gettext, Problems, Refused, _, one
from queue_server.web.http import Upload

MAX_IMAGE_FORM_BYTES = MAX_IMAGE_BYTES + 16 * 1024  # the file, the CSRF token, the parts' headers

DONE = {
    "display-message": _("The displays' message was saved: they show it now."),
    "display-image": _("The image was added: the displays show it now while no call is on."),
    "display-image-removed": _("The image was removed from the displays."),
}


def message(form: Form, gettext: Gettext) -> str:
    """The message form's text (one line, ``MAX_MESSAGE`` characters at most; "" removes it)."""
    text = " ".join(one(form, "dsp-message").split())
    if len(text) > MAX_MESSAGE:
        problems = Problems()
        problems.add("dsp-message", gettext(_("{limit} characters at most: shorten the message.")).format(
            limit=MAX_MESSAGE))
        raise Refused(problems)
    return text


def image(upload: Upload | None, cut: bool, gettext: Gettext) -> bytes:
    """The image form's file; ``cut``: the body was larger than ``MAX_IMAGE_FORM_BYTES``, and the file with it."""
    problems = Problems()
    if cut:
        problems.add("dsp-image", heavy(gettext))
    elif upload is None or not upload.data:
        problems.add("dsp-image", gettext(_("Choose a PNG or JPEG file.")))
    if problems or upload is None:
        raise Refused(problems)
    return upload.data


def heavy(gettext: Gettext) -> str:
    return gettext(_("This file weighs more than {limit} MiB: an image may weigh {limit} MiB at most.")).format(
        limit=MAX_IMAGE_BYTES // (1024 * 1024))


def image_refused(exc: BadImage, gettext: Gettext) -> Refused:
    """The refusal of an image by ``DisplayScreens``, said next to the file field."""
    if exc.reason == "too-heavy":
        said = heavy(gettext)
    elif exc.reason == "too-large":
        said = gettext(_("This image is too large: {limit} pixels a side at most.")).format(limit=MAX_IMAGE_SIDE_PX)
    elif exc.reason == "too-many":
        said = gettext(_("The displays show {limit} images at most: remove one first.")).format(limit=MAX_IMAGES)
    else:
        said = gettext(_("This file is not a PNG or JPEG image."))
    problems = Problems()
    problems.add("dsp-image", said)
    return Refused(problems)
