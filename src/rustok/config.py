"""Settings from the environment (and CLI flags, which override them).

Every knob has a sensible default so `rustok up` works with no configuration:
no DATABASE_URL means a private embedded PostgreSQL 18 in ./.rustok/.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg.conninfo

from rustok.errors import ConfigError

DEFAULT_DB_PORT = 54329
DEFAULT_HTTP_PORT = 8000

_ACCEPTED_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def normalize_database_url(url: str) -> str:
    """Return a libpq URL for `url`, or raise ConfigError with one clear line.

    Accepts postgresql://, postgres:// and yoyo's postgresql+psycopg:// spelling,
    so one DATABASE_URL serves psql, psycopg and yoyo alike.
    """
    url = url.strip()
    scheme = urlsplit(url).scheme
    if scheme not in _ACCEPTED_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL must start with postgresql:// (got {scheme + '://' if scheme else 'no scheme'})"
        )
    if scheme == "postgresql+psycopg":
        url = "postgresql" + url[len(scheme):]
    try:
        psycopg.conninfo.conninfo_to_dict(url)
        urlsplit(url).port  # raises ValueError on a non-numeric port
    except (psycopg.ProgrammingError, ValueError) as exc:
        raise ConfigError(f"DATABASE_URL is malformed: {str(exc).splitlines()[0]}") from None
    return url


def replica_urls(raw: str | None) -> tuple[str, ...]:
    """DATABASE_REPLICA_URLS: one or more libpq URLs separated by commas or whitespace (empty: none)."""
    if not raw:
        return ()
    urls = []
    for part in raw.replace(",", " ").split():
        try:
            urls.append(normalize_database_url(part))
        except ConfigError as exc:
            raise ConfigError(f"DATABASE_REPLICA_URLS: {str(exc).removeprefix('DATABASE_URL ')}") from None
    return tuple(urls)


def yoyo_url(url: str) -> str:
    """The same database in the scheme yoyo-migrations wants (psycopg 3 backend)."""
    scheme = urlsplit(url).scheme
    return "postgresql+psycopg" + url[len(scheme):]


# The API's pool (RUSTOK_DB_POOL_SIZE) by default: POOL_PER_CORE connections per core of this machine, shared among
# the API processes of `rustok serve --workers N`, at least POOL_FLOOR per process. Statements beyond what the cores
# run only wait (bench/README.md, read side attempt 14); the floor keeps a burst of a few concurrent requests from
# queueing behind one slow statement up to RUSTOK_DB_ACQUIRE_TIMEOUT.
POOL_PER_CORE = 2
POOL_FLOOR = 4


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask: a container's or taskset's limit), else the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_pool_size(processes: int = 1, cpus: int | None = None) -> int:
    """RUSTOK_DB_POOL_SIZE when unset: POOL_PER_CORE per usable CPU divided among `processes` API processes, at
    least POOL_FLOOR (2 cores, 1 process: 4; 8 cores: 16; 8 cores and --workers 4: 4)."""
    cpus = cpus if cpus is not None else usable_cpus()
    return max(POOL_FLOOR, math.ceil(POOL_PER_CORE * cpus / max(1, processes)))


def default_index_workers(cpus: int | None = None) -> int:
    """RUSTOK_INDEX_WORKERS when unset: the worker's slots, one per usable CPU, 1 to 4."""
    cpus = cpus if cpus is not None else usable_cpus()
    return max(1, min(4, cpus))


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer (got {raw!r})") from None


def _nonnegative_int_env(name: str, default: int) -> int:
    value = _int_env(name, default)
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more (got {value})")
    return value


def _positive_int_env(name: str, default: int) -> int:
    value = _int_env(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be 1 or more (got {value})")
    return value


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number (got {raw!r})") from None


def _threshold_env(name: str, default: int | None) -> int | None:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("off", "none", "never"):
        return None
    value = _int_env(name, 0)
    if value < 0:
        raise ConfigError(f"{name} must be a number of runs (0 or more) or off (got {raw!r})")
    return value


def _bool_env(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (got {raw!r})")


def _choice_env(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)} (got {raw!r})")
    return raw


@dataclass(frozen=True)
class LoginThrottle:
    """Login throttling (counted in PostgreSQL, so every API process shares it; sql/code/core/login.sql).

    A login is refused with RATE_LIMITED while its account (tenant + email) or its client address is
    blocked. `account_limit` failures for one account, or `address_limit` from one client address (over
    all tenants), block it for `first_wait_seconds`; each further failure doubles the wait, up to
    `max_wait_seconds`. The failures are forgotten once `window_seconds` pass with neither a failure nor
    a block; a successful login forgets its account's failures (not its address's)."""

    account_limit: int = 5
    address_limit: int = 20
    window_seconds: int = 900
    first_wait_seconds: int = 1
    max_wait_seconds: int = 900

    def __post_init__(self) -> None:
        for name in ("account_limit", "address_limit", "window_seconds", "first_wait_seconds", "max_wait_seconds"):
            if getattr(self, name) < 1:
                raise ConfigError(f"login throttling: {name} must be at least 1 (got {getattr(self, name)})")
        if self.max_wait_seconds < self.first_wait_seconds:
            raise ConfigError("login throttling: max_wait_seconds must not be below first_wait_seconds")

    @classmethod
    def from_env(cls) -> "LoginThrottle":
        return cls(
            account_limit=_int_env("RUSTOK_LOGIN_ACCOUNT_LIMIT", 5),
            address_limit=_int_env("RUSTOK_LOGIN_ADDRESS_LIMIT", 20),
            window_seconds=_int_env("RUSTOK_LOGIN_WINDOW_SECONDS", 900),
            first_wait_seconds=_int_env("RUSTOK_LOGIN_FIRST_WAIT_SECONDS", 1),
            max_wait_seconds=_int_env("RUSTOK_LOGIN_MAX_WAIT_SECONDS", 900),
        )


@dataclass
class Settings:
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(".rustok"))
    db_port: int = DEFAULT_DB_PORT
    http_host: str = "127.0.0.1"
    http_port: int = DEFAULT_HTTP_PORT
    serve_workers: int = 1                # API processes of `rustok serve` (--workers)
    # Index / projector configuration (the manifest's IndexConfig).
    index_batch_size: int = 100
    # projector slots: one per usable CPU, at most 4 (more slots than cores only queue for the CPU; at 1,000
    # commits/s on 2 cores, 4 slots doubled the commit-to-index lag of 2: bench/README.md, "Lag")
    index_workers: int = field(default_factory=default_index_workers)
    index_realtime_sync: bool = True
    index_full_reindex_at: str = "03:00"  # HH:MM local time, or "off"
    # Database outages (see docs/reliability.md): how long a request waits for a pooled connection,
    # how often an open circuit probes for the database's return, and the Retry-After it advertises.
    db_pool_size: int = field(default_factory=default_pool_size)   # per API process; default: sized to the cores
    db_acquire_timeout: float = 1.0
    db_probe_interval: float = 0.25
    db_reconnect_timeout: float = 1.0
    # psycopg prepares a statement server-side after this many runs on a connection; None (env "off"): never,
    # for a transaction-mode PgBouncer older than 1.21 or without max_prepared_statements (docs/scaling.md).
    db_prepare_threshold: int | None = 5
    retry_after: int = 1
    # Read replicas (docs/scaling.md): queries go to a replica in rotation, writes to the primary.
    replica_urls: tuple[str, ...] = ()
    replica_max_lag: float = 5.0          # seconds behind the primary before a replica leaves the rotation
    replica_wait: float = 0.5             # seconds a read with a position waits for a replica before the primary
    replica_check_interval: float = 0.5   # seconds between the lag and health checks of each replica
    # Input limits: every request is checked against these before any SQL runs.
    max_body_bytes: int = 1_048_576       # HTTP request body (enforced while reading)
    max_query_tokens: int = 2_000         # lexical tokens of the GraphQL document
    max_query_depth: int = 10             # nesting of selection sets (introspection has its own rule)
    max_aliases: int = 30                 # aliases in the document
    max_root_fields: int = 20             # distinct root fields of an operation
    max_query_cost: int = 10              # root fields that reach the database
    max_fields: int = 500                 # field selections in the document (bounds validation work)
    max_variables_depth: int = 32         # nesting of the `variables` JSON
    max_json_bytes: int = 65_536          # one JSON argument (metadata, addresses), serialized
    max_string_length: int = 10_000       # characters of a string argument
    max_text_length: int = 200_000        # characters of a long text argument (body, description, excerpt)
    log_format: str = "text"              # "text" or "json"
    # Access lines (rustok.logs, docs/operators.md "The API's log"): "errors" writes a line for a request that
    # failed (status >= 400 or GraphQL errors) or took at least access_log_slow_ms, "all" one per request,
    # "off" none; every access_log_summary_s a summary line counts the requests (0: no summary).
    access_log: str = "errors"
    access_log_slow_ms: int = 500
    access_log_summary_s: int = 60
    # Read-your-writes: how long a query carrying X-Index-Position waits for the read model to catch up
    read_wait_seconds: float = 5.0
    # Storefront reads compiled to one SQL statement each (rustok.graphql.compiled); off: ordinary execution only
    compiled_reads: bool = True
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # Account mails (rustok.mail, docs/operators.md "Mail"): links point at public_url (default
    # http://<http_host>:<http_port>); sent over smtp_url, or written to mail_dir (default <data_dir>/mail).
    public_url: str | None = None
    smtp_url: str | None = None
    mail_from: str = "RusToK <no-reply@localhost>"
    mail_dir: Path | None = None
    password_reset_ttl: int = 3600          # seconds a password reset link works
    invitation_ttl: int = 7 * 24 * 3600     # seconds an invitation link works
    password_reset_limit: int = 3           # reset mails per account and hour at most
    password_reset_floor_ms: int = 250      # requestPasswordReset answers after at least this long (no timing oracle)
    # Uploaded media (rustok.media, docs/operators.md "Media files"): files under media_root (default
    # <data_dir>/media), each at most media_max_bytes, at most media_max_files per request.
    media_root: Path | None = None
    media_max_bytes: int = 5 * 1024 * 1024
    media_max_files: int = 10

    def media_dir(self) -> Path:
        return Path(self.media_root) if self.media_root else Path(self.data_dir) / "media"

    @classmethod
    def from_env(cls) -> "Settings":
        raw_url = os.environ.get("DATABASE_URL")
        workers = _int_env("RUSTOK_SERVE_WORKERS", 1)
        return cls(
            database_url=normalize_database_url(raw_url) if raw_url else None,
            data_dir=Path(os.environ.get("RUSTOK_DATA_DIR") or ".rustok"),
            db_port=_int_env("RUSTOK_DB_PORT", DEFAULT_DB_PORT),
            http_host=os.environ.get("RUSTOK_HOST") or "127.0.0.1",
            http_port=_int_env("RUSTOK_PORT", DEFAULT_HTTP_PORT),
            serve_workers=workers,
            index_batch_size=_int_env("RUSTOK_INDEX_BATCH_SIZE", 100),
            index_workers=_int_env("RUSTOK_INDEX_WORKERS", default_index_workers()),
            index_realtime_sync=_bool_env("RUSTOK_INDEX_REALTIME_SYNC", True),
            index_full_reindex_at=os.environ.get("RUSTOK_INDEX_FULL_REINDEX_AT") or "03:00",
            db_pool_size=_positive_int_env("RUSTOK_DB_POOL_SIZE", default_pool_size(workers)),
            db_acquire_timeout=_float_env("RUSTOK_DB_ACQUIRE_TIMEOUT", cls.db_acquire_timeout),
            db_probe_interval=_float_env("RUSTOK_DB_PROBE_INTERVAL", cls.db_probe_interval),
            db_reconnect_timeout=_float_env("RUSTOK_DB_RECONNECT_TIMEOUT", cls.db_reconnect_timeout),
            db_prepare_threshold=_threshold_env("RUSTOK_DB_PREPARE_THRESHOLD", cls.db_prepare_threshold),
            retry_after=_int_env("RUSTOK_RETRY_AFTER", cls.retry_after),
            replica_urls=replica_urls(os.environ.get("DATABASE_REPLICA_URLS")),
            replica_max_lag=_float_env("RUSTOK_REPLICA_MAX_LAG", cls.replica_max_lag),
            replica_wait=_float_env("RUSTOK_REPLICA_WAIT", cls.replica_wait),
            replica_check_interval=_float_env("RUSTOK_REPLICA_CHECK_INTERVAL", cls.replica_check_interval),
            max_body_bytes=_int_env("RUSTOK_MAX_BODY_BYTES", cls.max_body_bytes),
            max_query_tokens=_int_env("RUSTOK_MAX_QUERY_TOKENS", cls.max_query_tokens),
            max_query_depth=_int_env("RUSTOK_MAX_QUERY_DEPTH", cls.max_query_depth),
            max_aliases=_int_env("RUSTOK_MAX_ALIASES", cls.max_aliases),
            max_root_fields=_int_env("RUSTOK_MAX_ROOT_FIELDS", cls.max_root_fields),
            max_query_cost=_int_env("RUSTOK_MAX_QUERY_COST", cls.max_query_cost),
            max_fields=_int_env("RUSTOK_MAX_FIELDS", cls.max_fields),
            max_variables_depth=_int_env("RUSTOK_MAX_VARIABLES_DEPTH", cls.max_variables_depth),
            max_json_bytes=_int_env("RUSTOK_MAX_JSON_BYTES", cls.max_json_bytes),
            max_string_length=_int_env("RUSTOK_MAX_STRING_LENGTH", cls.max_string_length),
            max_text_length=_int_env("RUSTOK_MAX_TEXT_LENGTH", cls.max_text_length),
            log_format=_choice_env("RUSTOK_LOG_FORMAT", ("text", "json"), cls.log_format),
            access_log=_choice_env("RUSTOK_ACCESS_LOG", ("errors", "all", "off"), cls.access_log),
            access_log_slow_ms=_nonnegative_int_env("RUSTOK_ACCESS_LOG_SLOW_MS", cls.access_log_slow_ms),
            access_log_summary_s=_nonnegative_int_env("RUSTOK_ACCESS_LOG_SUMMARY_S", cls.access_log_summary_s),
            read_wait_seconds=_float_env("RUSTOK_READ_WAIT_SECONDS", cls.read_wait_seconds),
            compiled_reads=_bool_env("RUSTOK_COMPILED_READS", cls.compiled_reads),
            login_throttle=LoginThrottle.from_env(),
            public_url=(os.environ.get("RUSTOK_PUBLIC_URL") or "").strip() or None,
            smtp_url=(os.environ.get("RUSTOK_SMTP_URL") or "").strip() or None,
            mail_from=(os.environ.get("RUSTOK_MAIL_FROM") or "").strip() or cls.mail_from,
            mail_dir=Path(os.environ["RUSTOK_MAIL_DIR"]) if os.environ.get("RUSTOK_MAIL_DIR") else None,
            password_reset_ttl=_int_env("RUSTOK_PASSWORD_RESET_TTL", cls.password_reset_ttl),
            invitation_ttl=_int_env("RUSTOK_INVITATION_TTL", cls.invitation_ttl),
            password_reset_limit=_int_env("RUSTOK_PASSWORD_RESET_LIMIT", cls.password_reset_limit),
            password_reset_floor_ms=_int_env("RUSTOK_PASSWORD_RESET_FLOOR_MS", cls.password_reset_floor_ms),
            media_root=Path(os.environ["RUSTOK_MEDIA_ROOT"]) if os.environ.get("RUSTOK_MEDIA_ROOT") else None,
            media_max_bytes=_int_env("RUSTOK_MEDIA_MAX_BYTES", cls.media_max_bytes),
            media_max_files=_int_env("RUSTOK_MEDIA_MAX_FILES", cls.media_max_files),
        )

    @property
    def embedded(self) -> bool:
        return self.database_url is None
