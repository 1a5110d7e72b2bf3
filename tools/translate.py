"""Fill catalogs from a table {msgid: (fr, es, ar)}: `python tools/translate.py TABLE.py`.

Only empty translations are filled; a translator's existing work is never overwritten."""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LANGS = ("fr", "es", "ar")
table = runpy.run_path(sys.argv[1])["T"]
for index, lang in enumerate(LANGS):
    path = Path(__file__).resolve().parents[1] / f"queue_server/locale/{lang}/LC_MESSAGES/messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    for message in catalog:
        if message.id in table and not message.string:
            message.string = table[message.id][index]
    with path.open("wb") as po:
        write_po(po, catalog, width=100, omit_header=False)
