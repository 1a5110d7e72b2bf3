"""One frozen Settings object: config.example.toml documents every key.

Sources, strongest first: explicit values from the command line, ``QUEUE_<SECTION>_<KEY>``
environment variables (``QUEUE_REDIS_URL``), the TOML file given with ``--config``, the defaults.
Built once by the CLI (or a test) and passed to ``create_app``; nothing reads it at import time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("var")
    # Log every HTTP request (uvicorn's access log; tokens in query strings are redacted).
    access_log: bool = False
    log_level: str = Field("info", pattern="^(debug|info|warning|error)$")
    # Browsers' Origins trusted for cookie-authenticated requests besides the server's own.
    trusted_origins: tuple[str, ...] = ()
    # Live feed heartbeats: a ping every ~interval seconds; a peer that has not answered within
    # timeout is closed. A dead screen is noticed within interval + timeout.
    ws_ping_interval_s: float = Field(15.0, gt=0, le=300)
    ws_ping_timeout_s: float = Field(15.0, gt=0, le=300)
    # The kernel's send buffer of each live-feed connection, in bytes (0: the kernel's own, which grows
    # to megabytes). Smaller: a screen that stops reading holds less memory and is cut sooner.
    ws_send_buffer_bytes: int = Field(0, ge=0, le=64 * 1024 * 1024)
    # Limits at the edge (web/httpserver.py), before a request reaches the app. A request's head (its
    # line and headers) must arrive within this many seconds of the connection or of the previous
    # answer, its body within this many seconds of the head; else 408 and the connection is closed.
    request_head_timeout_s: float = Field(10.0, gt=0, le=300)
    request_body_timeout_s: float = Field(30.0, gt=0, le=3600)
    # A head larger than this many bytes, or with more headers than this, gets 431.
    max_request_head_bytes: int = Field(32 * 1024, ge=1024, le=1024 * 1024)
    max_request_headers: int = Field(100, ge=10, le=1000)
    # Connections of one address that have not sent a whole request yet; one more gets 429 (0: no cap).
    max_pending_connections_per_address: int = Field(64, ge=0)


class RedisSettings(_Section):
    # Empty: start the embedded Valkey under data_dir. Else redis://, rediss:// or unix:// URL.
    url: str = ""
    key_prefix: str = "guichet:"
    # Refuse to start on a Redis that could lose or evict queue state (see README).
    check_persistence: bool = True


class DatabaseSettings(_Section):
    # Empty: SQLite file under data_dir. Else sqlite:///PATH or postgresql://USER@HOST:PORT/DB.
    url: str = ""

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("database url must start with sqlite:/// or postgresql://")
        return value


class QueueSettings(_Section):
    # Seconds between snapshots of a site's state (stored beside its stream).
    snapshot_interval_s: float = Field(30.0, gt=0)
    # Events stay in the stream at least this long after they are archived, for clients resuming.
    stream_retention_s: int = Field(7200, ge=0)
    # Seconds a client is told to wait (Retry-After) while Redis is unreachable.
    retry_after_s: int = Field(2, ge=1)


class LimitSettings(_Section):
    # Requests allowed per minute (0: no limit); beyond, 429 with Retry-After. Counted in Redis, so
    # they hold across processes. Staff (agents issuing for a visitor) are never limited.
    kiosk_tickets_per_minute: int = Field(30, ge=0)  # per kiosk token: a kiosk prints one every 2 s at best
    kiosk_tickets_per_address_per_minute: int = Field(120, ge=0)  # all kiosk tickets from one address
    public_reads_per_address_per_minute: int = Field(600, ge=0)  # ticket pages read without login
    pairing_attempts_per_address_per_minute: int = Field(10, ge=0)  # pairing codes tried
    withdrawals_per_address_per_minute: int = Field(10, ge=0)  # "I will not come" on ticket pages
    # Tickets taken from home in the ticket widget (queue/web/widget.py): per address in an hour (a household,
    # not a flood), and per site in a minute whatever the addresses.
    remote_tickets_per_address_per_hour: int = Field(3, ge=0)
    remote_tickets_per_site_per_minute: int = Field(30, ge=0)


class SmsSettings(_Section):
    # "" (no SMS), "log" (written to the log, nothing sent) or "http" (a provider's HTTP API).
    provider: Literal["", "log", "http"] = ""
    url: str = ""  # the provider's endpoint (https://...)
    method: Literal["POST", "GET"] = "POST"  # GET puts the rendered template in the query string
    auth: SecretStr = SecretStr("")  # value of the auth header: "Bearer ...", "Basic ..."; never logged
    auth_header: str = Field("Authorization", min_length=1)  # its name ("api-key" at Brevo)
    # Request body with placeholders {to} (E.164), {to_digits} (E.164 without "+"), {text}, {sender};
    # empty: {"to": "{to}", "text": "{text}", "sender": "{sender}"} (json) or to={to}&text={text}&sender={sender}.
    body_template: str = ""
    content_type: Literal["json", "form"] = "json"  # how placeholders are escaped and the body is sent
    sender: str = Field("", max_length=11)  # alphanumeric sender name shown on phones (11 characters at most)
    timeout_s: float = Field(10.0, gt=0, le=30)  # seconds, per phase of the request (connect, send, read)

    @model_validator(mode="after")
    def _usable(self) -> SmsSettings:
        if self.provider == "http" and not self.url.startswith(("https://", "http://")):
            raise ValueError("sms.url must be an http:// or https:// URL when sms.provider is \"http\"")
        if self.method == "GET" and self.content_type != "form":
            raise ValueError("sms.method GET needs sms.content_type \"form\" (parameters go in the query string)")
        return self


class EmailSettings(_Section):
    # smtp://[USER:PASSWORD@]HOST:PORT (STARTTLS when the server offers it) or smtps://... (TLS from the
    # start); empty: no e-mail is sent (each one is logged, its address masked). Holds a password: never logged.
    url: SecretStr = SecretStr("")
    # The From of every e-mail: "Mairie de Test <accueil@ville.fr>" or a bare address.
    from_: str = Field("", alias="from", max_length=300)
    timeout_s: float = Field(30.0, gt=0, le=300)  # seconds allowed for each step of the SMTP exchange

    # Checked when the mailer is made (platform/email.py make_mailer), not here: a validation error
    # here would print the URL, and its password, with it.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SpeechSettings(_Section):
    # Announce calls with speech rendered here (pyttsx3 + espeak-ng, in a worker process). Off, or
    # without espeak-ng: calls carry no audio_url and displays play their chime alone.
    enabled: bool = True


class KioskSettings(_Section):
    # Seconds the kiosk's ticket screen stays before going back to the start (any touch restarts it).
    idle_s: int = Field(20, ge=3, le=600)
    # The start screen offers "Your opinion": five faces, one touch, anonymous, counted in the satisfaction
    # surveys' results (off, or [surveys] enabled = false: no such button).
    opinion: bool = True


class CrmSettings(_Section):
    # Days after its last interaction when a party (person, association, company) is purged from the
    # citizen record, and a deletion report written; counted from the last visit, note or change.
    retention_days: int = Field(730, ge=30, le=3650)
    # Seconds between two runs of the purge (one process runs it at a time).
    purge_every_s: int = Field(86_400, ge=60, le=604_800)


class BookingSettings(_Section):
    # Days after its date when an appointment (with the person's name and contact) is purged, with a deletion report.
    retention_days: int = Field(730, ge=30, le=3650)
    purge_every_s: int = Field(86_400, ge=60, le=604_800)
    # Appointments booked online from one address in an hour, at most (staff are not counted).
    bookings_per_address_per_hour: int = Field(20, ge=1, le=10_000)
    # Of those, made without a proof of work (booking/web/challenge.py), at most; the booking page always sends one.
    free_bookings_per_address_per_hour: int = Field(10, ge=0, le=10_000)
    # ... and with a phone number and no e-mail address, unchecked by a code sent by SMS, at most.
    unchecked_phone_bookings_per_address_per_hour: int = Field(5, ge=0, le=10_000)
    # The proof of work's leading zero bits (each one doubles a browser's work: 16 is a second or two).
    proof_bits: int = Field(16, ge=1, le=30)
    # The address citizens reach this server at ("https://rdv.demoville.fr"), for links written without a request
    # to read it from (the ANTS' callbacks); empty: http://HOST:PORT of [server].
    public_url: str = Field("", max_length=300, pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")
    # A directory of the collectivities' own message texts, which come before the installation's:
    # {dir}/{tenant}/{lang}/{name}.txt (appointment_confirmed_sms.txt...), then {dir}/{lang}/{name}.txt.
    templates_dir: Path | None = None


class RequestsSettings(_Section):
    # Requests filed online from one address in an hour, at most (staff are not counted).
    requests_per_address_per_hour: int = Field(10, ge=1, le=10_000)
    # Days after its closure when a request (with the sender, its messages and files) is purged, with a deletion
    # report; and the seconds between two runs of that purge (one process runs it at a time).
    retention_days: int = Field(730, ge=30, le=3650)
    purge_every_s: int = Field(86_400, ge=60, le=604_800)
    # A directory of the collectivities' own message texts (request_acknowledged.txt...), as [booking]'s.
    templates_dir: Path | None = None
    # E-mail intake: the collectivity's mailbox, imaps://USER:PASSWORD@HOST[:PORT]/MAILBOX (or imap://, no TLS);
    # empty: no intake. Read with IDLE where the server offers it, and at least every imap_poll_s seconds.
    imap_url: SecretStr = SecretStr("")
    imap_poll_s: float = Field(60.0, gt=0, le=3600)
    # The tenant whose requests the mailbox's e-mails become (empty: the first tenant by id).
    imap_tenant: str = ""
    # The category of a new e-mail by the address it was sent to ({"urbanisme@ville.fr" = "urbanisme"});
    # "autre" otherwise.
    imap_categories: dict[str, str] = {}


class PhoneSettings(_Section):
    # Days after it ended when a call (with its caller, note and callback) is purged, with a deletion report; and the
    # seconds between two runs of that purge (one process runs it at a time).
    retention_days: int = Field(730, ge=30, le=3650)
    purge_every_s: int = Field(86_400, ge=60, le=604_800)


class SurveysSettings(_Section):
    # Satisfaction surveys (queue_server/surveys): one invitation by SMS or e-mail after a visit, an appointment or a
    # request, to a citizen who left a phone or an e-mail; off: none is written.
    enabled: bool = True
    # Seconds between the end of the contact and the invitation (QUEUE_SURVEYS_DELAY_S).
    delay_s: int = Field(3600, ge=0, le=7 * 86_400)
    # Local hours (the site's clock) without invitations: one due then waits until they end; [] for none.
    quiet_hours: tuple[str, ...] = ("20:00", "09:00")
    # A contact is invited at most once in so many days.
    min_days_between: int = Field(30, ge=0, le=365)
    # A service whose mean score over the last 7 days is below this, with at least alert_minimum answers, is shown
    # in alert to supervisors.
    alert_below: float = Field(3.0, ge=1.0, le=5.0)
    alert_minimum: int = Field(5, ge=1, le=1000)
    # Days after which answers (and invitations) are purged, with a deletion report; the seconds between two runs.
    retention_days: int = Field(730, ge=30, le=3650)
    purge_every_s: int = Field(86_400, ge=60, le=604_800)

    @field_validator("quiet_hours")
    @classmethod
    def _two_times(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if value and (len(value) != 2 or not all(re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", v) for v in value)):
            raise ValueError('surveys.quiet_hours: two local times as ["20:00", "09:00"], or [] for none')
        return value


class AntsSettings(_Section):
    # The two ANTS connections (passports and identity cards): the search API the ANTS calls on us
    # (/api/ants/...) and the anti-duplicate API we call. Off: neither is served nor called.
    enabled: bool = False
    # The token the ANTS sends us in X-HUB-RDV-AUTH-TOKEN (given by the ANTS); empty: every call refused.
    hub_token: SecretStr = SecretStr("")
    # The anti-duplicate API's base URL (the ANTS' integration one for trials:
    # https://int.api-coordination.rendezvouspasseport.ants.gouv.fr/api).
    api_url: str = "https://api-coordination.rendezvouspasseport.ants.gouv.fr/api"
    # Our token for it (x-rdv-opt-auth-token), given by the ANTS. Never logged.
    api_token: SecretStr = SecretStr("")
    # Seconds allowed for each call to the anti-duplicate API, as a whole (a booking waits for it).
    timeout_s: float = Field(4.0, gt=0, le=30)
    # Seconds the search for free slots may take before we answer with what we found: the ANTS gives up
    # after 15 s.
    slots_budget_s: float = Field(10.0, gt=0, le=14)

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("ants.api_url must start with https:// or http://")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, env_prefix="QUEUE_", env_nested_delimiter="_", env_nested_max_split=1,
        extra="forbid",
    )

    server: ServerSettings = ServerSettings()
    redis: RedisSettings = RedisSettings()
    database: DatabaseSettings = DatabaseSettings()
    queue: QueueSettings = QueueSettings()
    limits: LimitSettings = LimitSettings()
    sms: SmsSettings = SmsSettings()
    email: EmailSettings = EmailSettings()
    kiosk: KioskSettings = KioskSettings()
    speech: SpeechSettings = SpeechSettings()
    crm: CrmSettings = CrmSettings()
    booking: BookingSettings = BookingSettings()
    requests: RequestsSettings = RequestsSettings()
    phone: PhoneSettings = PhoneSettings()
    surveys: SurveysSettings = SurveysSettings()
    ants: AntsSettings = AntsSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = cls.model_config.get("toml_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @property
    def sqlite_path(self) -> Path:
        return self.server.data_dir / "guichet.sqlite3"

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL: the driver is picked here, not by the user."""
        url = self.database.url or f"sqlite:///{self.sqlite_path}"
        if url.startswith("sqlite:"):
            return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://").split("://")[-1]


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults < TOML file < environment < ``overrides`` (``{"server": {...}}``)."""
    if config_file is None:
        return Settings(**overrides)

    class FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=config_file)

    return FileSettings(**overrides)
