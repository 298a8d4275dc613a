"""Service configuration, read from the environment and an optional `.env` file."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def normalize_database_url(url: str) -> str:
    """Turn the URL forms users paste into one that names an async driver.

    `postgresql://`, `postgres://` and the sync drivers `psycopg2`/`pg8000` become
    `postgresql+asyncpg://`; `sqlite:///path` becomes `sqlite+aiosqlite:///path`. URLs that
    already name an async driver (`asyncpg`, `psycopg`, `aiosqlite`) are kept as they are.
    """
    url = url.strip()
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ConfigurationError(
            f"TRIAGE_DATABASE_URL {url!r} is not a URL; use for example "
            "'sqlite:///triage.db' or 'postgresql://user@localhost/triage'."
        )

    dialect, _, driver = scheme.partition("+")
    dialect = dialect.lower()
    if dialect in ("postgres", "postgresql"):
        if driver in ("asyncpg", "psycopg"):
            return f"postgresql+{driver}://{rest}"
        if driver in ("", "psycopg2", "pg8000", "psycopg2cffi"):
            return f"postgresql+asyncpg://{rest}"
    if dialect == "sqlite":
        if driver in ("", "aiosqlite", "pysqlite"):
            return f"sqlite+aiosqlite://{rest}"

    raise ConfigurationError(
        f"TRIAGE_DATABASE_URL uses {scheme!r}, which is not supported; use a 'postgresql://' "
        "or 'sqlite://' URL."
    )


class Settings(BaseSettings):
    """All settings of the service. Each field names the environment variable it reads."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///triage.db",
        validation_alias=AliasChoices("TRIAGE_DATABASE_URL", "database_url"),
    )
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TRIAGE_WEBHOOK_SECRET", "webhook_secret")
    )
    insecure_no_webhook_secret: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "TRIAGE_INSECURE_NO_WEBHOOK_SECRET", "insecure_no_webhook_secret"
        ),
        description="Development only: accept unsigned webhooks when no secret is set.",
    )
    max_webhook_bytes: int = Field(
        default=5 * 1024 * 1024,
        validation_alias=AliasChoices("TRIAGE_MAX_WEBHOOK_BYTES", "max_webhook_bytes"),
    )

    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )
    model: str = Field(
        default="gpt-4o-mini", validation_alias=AliasChoices("TRIAGE_MODEL", "model")
    )
    llm_timeout_seconds: float = Field(
        default=120.0,
        validation_alias=AliasChoices("TRIAGE_LLM_TIMEOUT_SECONDS", "llm_timeout_seconds"),
    )
    llm_max_retries: int = Field(
        default=2, validation_alias=AliasChoices("TRIAGE_LLM_MAX_RETRIES", "llm_max_retries")
    )

    prompts_dir: Path = Field(
        default=PROJECT_ROOT / "prompts",
        validation_alias=AliasChoices("TRIAGE_PROMPTS_DIR", "prompts_dir"),
    )
    few_shot_k: int = Field(
        default=6, validation_alias=AliasChoices("TRIAGE_FEW_SHOT_K", "few_shot_k")
    )
    prompt_detail: str = Field(
        default="full",
        validation_alias=AliasChoices("TRIAGE_PROMPT_DETAIL", "prompt_detail"),
        description="'full' puts cues and look-alikes of every label in the prompt (about 6,500 tokens); "
        "'compact' only names and definitions (about 3,000), for models with small context windows.",
    )
    issue_token_budget: int = Field(
        default=1500,
        validation_alias=AliasChoices("TRIAGE_ISSUE_TOKEN_BUDGET", "issue_token_budget"),
    )
    examples_token_budget: int = Field(
        default=2000,
        validation_alias=AliasChoices("TRIAGE_EXAMPLES_TOKEN_BUDGET", "examples_token_budget"),
    )

    llm_samples: int = Field(
        default=1,
        validation_alias=AliasChoices("TRIAGE_LLM_SAMPLES", "llm_samples"),
        description="Answers sampled per issue; above 1, agreement between them is the confidence.",
    )
    llm_logprobs: bool = Field(
        default=True, validation_alias=AliasChoices("TRIAGE_LLM_LOGPROBS", "llm_logprobs")
    )
    model_reliability: float = Field(
        default=0.6,
        validation_alias=AliasChoices("TRIAGE_MODEL_RELIABILITY", "model_reliability"),
        description="Assumed probability that the model's label is right, used until reviewed "
        "predictions calibrate it per field.",
    )
    root_cause_abstain_below: float = Field(
        default=0.15,
        validation_alias=AliasChoices("TRIAGE_ROOT_CAUSE_ABSTAIN_BELOW", "root_cause_abstain_below"),
    )
    review_below: float = Field(
        default=0.6, validation_alias=AliasChoices("TRIAGE_REVIEW_BELOW", "review_below")
    )

    github_api_url: str = Field(
        default="https://api.github.com",
        validation_alias=AliasChoices("TRIAGE_GITHUB_API_URL", "github_api_url"),
    )
    github_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TRIAGE_GITHUB_TOKEN", "GITHUB_TOKEN", "github_token")
    )
    github_min_interval_seconds: float = Field(
        default=0.25,
        validation_alias=AliasChoices("TRIAGE_GITHUB_MIN_INTERVAL_SECONDS", "github_min_interval_seconds"),
        description="Pause between two GitHub API requests.",
    )
    pool_refresh_seconds: float = Field(
        default=30.0,
        validation_alias=AliasChoices("TRIAGE_POOL_REFRESH_SECONDS", "pool_refresh_seconds"),
        description="How often a worker checks for new reviewed or imported examples and recalibrates.",
    )

    open_read: bool = Field(
        default=False,
        validation_alias=AliasChoices("TRIAGE_OPEN_READ", "open_read"),
        description="Serve the read endpoints under /v1 without a token (reviews still need one).",
    )
    github_bot_login: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TRIAGE_GITHUB_BOT_LOGIN", "github_bot_login"),
        description="Login of this service's GitHub App or bot user; its label changes are not reviews.",
    )
    symptom_label_prefix: str = Field(
        default="symptom: ", validation_alias=AliasChoices("TRIAGE_SYMPTOM_LABEL_PREFIX", "symptom_label_prefix")
    )
    root_cause_label_prefix: str = Field(
        default="root cause: ",
        validation_alias=AliasChoices("TRIAGE_ROOT_CAUSE_LABEL_PREFIX", "root_cause_label_prefix"),
    )
    price_per_million_prompt_tokens: float = Field(
        default=0.0,
        validation_alias=AliasChoices("TRIAGE_PRICE_PER_MILLION_PROMPT_TOKENS", "price_per_million_prompt_tokens"),
    )
    price_per_million_completion_tokens: float = Field(
        default=0.0,
        validation_alias=AliasChoices(
            "TRIAGE_PRICE_PER_MILLION_COMPLETION_TOKENS", "price_per_million_completion_tokens"
        ),
    )

    worker_enabled: bool = Field(
        default=True,
        validation_alias=AliasChoices("TRIAGE_RUN_WORKER_IN_SERVER", "worker_enabled"),
        description="Run the triage worker inside `triage serve`.",
    )
    worker_poll_seconds: float = Field(
        default=1.0, validation_alias=AliasChoices("TRIAGE_WORKER_POLL_SECONDS", "worker_poll_seconds")
    )
    job_lease_seconds: int = Field(
        default=300, validation_alias=AliasChoices("TRIAGE_JOB_LEASE_SECONDS", "job_lease_seconds")
    )
    job_max_attempts: int = Field(
        default=5, validation_alias=AliasChoices("TRIAGE_JOB_MAX_ATTEMPTS", "job_max_attempts")
    )

    auto_migrate: bool = Field(
        default=True,
        validation_alias=AliasChoices("TRIAGE_AUTO_MIGRATE", "auto_migrate"),
        description="Run `alembic upgrade head` when the server or worker starts.",
    )
    log_format: str = Field(
        default="console", validation_alias=AliasChoices("TRIAGE_LOG_FORMAT", "log_format")
    )
    log_level: str = Field(
        default="INFO", validation_alias=AliasChoices("TRIAGE_LOG_LEVEL", "log_level")
    )

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("prompt_detail")
    @classmethod
    def _known_detail(cls, value: str) -> str:
        if value not in ("full", "compact"):
            raise ConfigurationError(f"TRIAGE_PROMPT_DETAIL must be 'full' or 'compact', not {value!r}.")
        return value

    @field_validator("openai_base_url")
    @classmethod
    def _blank_base_url_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None

    @property
    def llm_configured(self) -> bool:
        """True when an OpenAI-compatible endpoint or an OpenAI key is set."""
        return bool(self.openai_base_url or self.openai_api_key)

    def require_webhook_secret(self) -> None:
        """Raise unless a webhook secret is set or the insecure development flag is on."""
        if self.webhook_secret is None or not self.webhook_secret.get_secret_value():
            if not self.insecure_no_webhook_secret:
                raise ConfigurationError(
                    "TRIAGE_WEBHOOK_SECRET is not set, so webhook signatures cannot be verified. "
                    "Set it to the secret configured on the GitHub webhook, or set "
                    "TRIAGE_INSECURE_NO_WEBHOOK_SECRET=true for local development only."
                )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
