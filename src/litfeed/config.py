"""Settings: one typed object, built once from the environment and passed in.

Nothing reads ``os.environ`` at import time; ``Settings.from_env()`` is called by the CLI and by
``create_app`` and the result is handed down.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from litfeed.errors import ConfigError

DEV_SECRET = "dev-insecure-secret"
#: outside development the secret key must be at least this long (it keys HMACs: CSRF, feeds)
MIN_SECRET_LENGTH = 32
#: values people paste from examples; refused like the development default
PLACEHOLDER_SECRETS = frozenset({DEV_SECRET, "change-me", "changeme", "secret", "CHANGE_ME",
                                 "replace-me", "your-secret-key"})


def _default_data_dir() -> Path:
    return Path(os.path.expanduser("~/.local/share/litfeed"))


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; expected true or false")


def _int(env: dict[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None
    if number < minimum:
        raise ConfigError(f"{name}={value!r}; expected a number of at least {minimum}")
    return number


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    environment: str = "development"  # development | production
    secret_key: str = DEV_SECRET
    registration: str = "open"  # open | closed
    public: bool = True  # reading papers/search without an account
    base_url: str = "http://127.0.0.1:8000"
    ncbi_api_key: str | None = None
    ncbi_email: str | None = None
    ncbi_eutils_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    pubmed_ftp_url: str = "https://ftp.ncbi.nlm.nih.gov/pubmed/"
    unpaywall_email: str | None = None
    unpaywall_url: str = "https://api.unpaywall.org/v2/"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "litfeed@localhost"
    smtp_user: str | None = None  # log in when set (with smtp_password)
    smtp_password: str | None = None
    smtp_starttls: bool = False  # upgrade the connection with STARTTLS before logging in
    ingest_batch_size: int = 2000
    embed_after_ingest: bool = True  # start `litfeed embed` in the background after an ingest
    model_dir: Path | None = None  # the exported ONNX models; default $LITFEED_DATA_DIR/models
    ann_threshold: int = 100_000  # vectors from which related/feed search an HNSW graph
    # --- web: sessions, cookies, login throttling, password hashing
    session_days: int = 30  # a session cookie lives this long, then the reader logs in again
    cookie_secure: str = "auto"  # auto (Secure when served over https) | true | false
    login_max_failures: int = 5  # failed logins per account within the window before a 429
    login_max_failures_ip: int = 30  # failed logins from one IP (any account) within the window
    login_window_s: int = 900
    argon2_time_cost: int = 3  # argon2id parameters (RFC 9106 low-memory profile by default)
    argon2_memory_kib: int = 65536
    # --- web: rate limits (0 turns one off; see docs/deploy.md "Rate limits")
    rate_api_per_ip: int = 3000  # requests per minute from one address (in each app process)
    rate_api_per_user: int = 1200  # requests per minute for one account (session or token)
    rate_register_per_ip: int = 20  # registration attempts per hour from one address (all
    #                                 processes: counted in the database)
    # --- web: https and proxies
    trusted_proxies: str = "127.0.0.1,::1"  # whose X-Forwarded-For/-Proto to believe ("" none)
    hsts_max_age: int = 31536000  # Strict-Transport-Security over https (0: never send it)
    # --- CME (defaults; an admin's values on /admin/cme override them, see docs/cme.md)
    cme_credit_per_cycle: str = "0.5"  # credits per completed learning cycle (a decimal)
    cme_credit_type: str = "AMA PRA Category 1 Credit™ — pending provider approval"
    cme_yearly_cap: str | None = None  # most credits per calendar year; None: no cap
    cme_provider_name: str | None = None
    cme_accreditation_statement: str | None = None  # none: credits are self-reported
    cme_draft_days: int = 7  # an incomplete cycle expires this long after it was started
    cme_edit_hours: int = 24  # a completed cycle can be edited this long, then it is locked

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite:///{self.data_dir / 'litfeed.db'}"
            )
        if self.registration not in {"open", "closed"}:
            raise ConfigError(
                f"LITFEED_REGISTRATION={self.registration!r}; expected open or closed"
            )
        if self.cookie_secure not in {"auto", "true", "false"}:
            raise ConfigError(
                f"LITFEED_COOKIE_SECURE={self.cookie_secure!r}; expected auto, true or false"
            )
        for entry in self.proxy_list:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if entry != "*":
                    raise ConfigError(
                        f"LITFEED_TRUSTED_PROXIES: {entry!r} is not an IP address or network; "
                        "expected e.g. 127.0.0.1,10.0.0.0/8 (or * to trust every peer)"
                    ) from None

    @property
    def proxy_list(self) -> list[str]:
        """The trusted proxies, one address or network each."""
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_database(self, url: str | None) -> Settings:
        """A copy with ``--db URL`` applied (the CLI's per-command override)."""
        return replace(self, database_url=url) if url else self

    def check_production(self) -> None:
        """Refuse to serve outside development with a secret anyone can know: the development
        default, an example placeholder, or one too short to resist guessing (the key signs
        CSRF tokens and the private feed URLs, so a known key forges both)."""
        if self.environment == "development":
            return
        hint = ("set it to a long random string, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        if self.secret_key == DEV_SECRET:
            raise ConfigError(
                f"LITFEED_SECRET_KEY is missing, and has no default outside development; {hint}"
            )
        if self.secret_key.strip() in PLACEHOLDER_SECRETS:
            raise ConfigError(f"LITFEED_SECRET_KEY is a placeholder value; {hint}")
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"LITFEED_SECRET_KEY is {len(self.secret_key)} characters; outside development "
                f"it needs at least {MIN_SECRET_LENGTH}: {hint}"
            )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("LITFEED_DATA_DIR") or _default_data_dir()).expanduser()
        return cls(
            data_dir=data_dir,
            database_url=env.get("LITFEED_DATABASE_URL", ""),
            environment=env.get("LITFEED_ENV", "development"),
            secret_key=env.get("LITFEED_SECRET_KEY", DEV_SECRET),
            registration=env.get("LITFEED_REGISTRATION", "open"),
            public=_bool(env.get("LITFEED_PUBLIC", "true"), "LITFEED_PUBLIC"),
            base_url=env.get("LITFEED_BASE_URL", "http://127.0.0.1:8000"),
            ncbi_api_key=env.get("NCBI_API_KEY") or None,
            ncbi_email=env.get("NCBI_EMAIL") or None,
            ncbi_eutils_url=env.get(
                "LITFEED_EUTILS_URL", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
            ),
            pubmed_ftp_url=env.get("LITFEED_PUBMED_FTP_URL", "https://ftp.ncbi.nlm.nih.gov/pubmed/"),
            unpaywall_email=env.get("UNPAYWALL_EMAIL") or None,
            unpaywall_url=env.get("LITFEED_UNPAYWALL_URL", "https://api.unpaywall.org/v2/"),
            smtp_host=env.get("LITFEED_SMTP_HOST") or None,
            smtp_port=_int(env, "LITFEED_SMTP_PORT", 25),
            smtp_from=env.get("LITFEED_SMTP_FROM", "litfeed@localhost"),
            model_dir=Path(env["LITFEED_MODEL_DIR"]) if env.get("LITFEED_MODEL_DIR") else None,
            embed_after_ingest=_bool(env.get("LITFEED_EMBED_AFTER_INGEST", "true"),
                                     "LITFEED_EMBED_AFTER_INGEST"),
            smtp_user=env.get("LITFEED_SMTP_USER") or None,
            smtp_password=env.get("LITFEED_SMTP_PASSWORD") or None,
            smtp_starttls=_bool(env.get("LITFEED_SMTP_STARTTLS", "false"),
                                "LITFEED_SMTP_STARTTLS"),
            session_days=_int(env, "LITFEED_SESSION_DAYS", 30),
            cookie_secure=env.get("LITFEED_COOKIE_SECURE", "auto").strip().lower(),
            login_max_failures=_int(env, "LITFEED_LOGIN_MAX_FAILURES", 5),
            login_max_failures_ip=_int(env, "LITFEED_LOGIN_MAX_FAILURES_IP", 30),
            login_window_s=_int(env, "LITFEED_LOGIN_WINDOW_S", 900),
            argon2_time_cost=_int(env, "LITFEED_ARGON2_TIME_COST", 3),
            argon2_memory_kib=_int(env, "LITFEED_ARGON2_MEMORY_KIB", 65536),
            rate_api_per_ip=_int(env, "LITFEED_RATE_API_PER_IP", 3000, minimum=0),
            rate_api_per_user=_int(env, "LITFEED_RATE_API_PER_USER", 1200, minimum=0),
            rate_register_per_ip=_int(env, "LITFEED_RATE_REGISTER_PER_IP", 20, minimum=0),
            trusted_proxies=env.get("LITFEED_TRUSTED_PROXIES", "127.0.0.1,::1").strip(),
            hsts_max_age=_int(env, "LITFEED_HSTS_MAX_AGE", 31536000, minimum=0),
            cme_credit_per_cycle=env.get("LITFEED_CME_CREDIT_PER_CYCLE", "").strip() or "0.5",
            cme_credit_type=env.get("LITFEED_CME_CREDIT_TYPE", "").strip()
            or Settings.cme_credit_type,
            cme_yearly_cap=env.get("LITFEED_CME_YEARLY_CAP", "").strip() or None,
            cme_provider_name=env.get("LITFEED_CME_PROVIDER_NAME", "").strip() or None,
            cme_accreditation_statement=env.get("LITFEED_CME_ACCREDITATION_STATEMENT", "").strip()
            or None,
            cme_draft_days=_int(env, "LITFEED_CME_DRAFT_DAYS", 7),
            cme_edit_hours=_int(env, "LITFEED_CME_EDIT_HOURS", 24),
            ann_threshold=_int(env, "LITFEED_ANN_THRESHOLD", 100_000),
        )
