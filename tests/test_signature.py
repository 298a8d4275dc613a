import pytest

from app.core.errors import InvalidSignature
from app.intake.signature import sign, verify_signature

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"


def test_sign_matches_github_test_vector():
    # The example from GitHub's "Validating webhook deliveries" page.
    assert sign(SECRET, BODY) == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_verify_accepts_valid_signature():
    verify_signature(SECRET, BODY, sign(SECRET, BODY))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1é",
        "sha256=ünïcode",
    ],
)
def test_verify_rejects_bad_header(header):
    with pytest.raises(InvalidSignature):
        verify_signature(SECRET, BODY, header)


def test_verify_rejects_other_body():
    with pytest.raises(InvalidSignature):
        verify_signature(SECRET, BODY + b" ", sign(SECRET, BODY))
