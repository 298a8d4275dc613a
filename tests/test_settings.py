import pytest

from app.core.errors import ConfigurationError
from app.core.settings import Settings, normalize_database_url
from app.main import create_app


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///triage.db", "sqlite+aiosqlite:///triage.db"),
        ("sqlite:////var/lib/triage/triage.db", "sqlite+aiosqlite:////var/lib/triage/triage.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://triage@db/triage", "postgresql+asyncpg://triage@db/triage"),
        ("postgres://u:p@localhost:5432/t", "postgresql+asyncpg://u:p@localhost:5432/t"),
        ("postgresql+psycopg2://u@h/t", "postgresql+asyncpg://u@h/t"),
        ("postgresql+asyncpg://u@h/t", "postgresql+asyncpg://u@h/t"),
        ("postgresql+psycopg://u@h/t", "postgresql+psycopg://u@h/t"),
        ("  postgresql://u@h/t  ", "postgresql+asyncpg://u@h/t"),
    ],
)
def test_database_url_forms(given, expected):
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize("given", ["mysql://u@h/t", "triage.db", "postgresql+pg9000://u@h/t"])
def test_database_url_rejects_unsupported(given):
    with pytest.raises(ConfigurationError) as error:
        normalize_database_url(given)
    assert "TRIAGE_DATABASE_URL" in error.value.detail


def test_service_refuses_to_start_without_secret():
    with pytest.raises(ConfigurationError) as error:
        create_app(Settings(_env_file=None))
    assert "TRIAGE_WEBHOOK_SECRET" in error.value.detail


def test_insecure_flag_allows_start_without_secret():
    app = create_app(Settings(_env_file=None, insecure_no_webhook_secret=True))
    assert app.title


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("TRIAGE_DATABASE_URL", "postgresql://me@localhost/triage")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    monkeypatch.setenv("TRIAGE_MODEL", "qwen2.5-1.5b-instruct")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql+asyncpg://me@localhost/triage"
    assert settings.llm_configured
    assert settings.model == "qwen2.5-1.5b-instruct"


def test_secret_is_hidden_in_repr(monkeypatch):
    monkeypatch.setenv("TRIAGE_WEBHOOK_SECRET", "very-secret-value")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key")
    text = repr(Settings(_env_file=None))
    assert "very-secret-value" not in text
    assert "sk-test-secret-key" not in text
