"""HPKE envelopes: only the recipient opens, only in the sealed context, only from the sender."""

import pytest

from buildinghub.credentials.envelope import OVERHEAD, EnvelopeRefused, open_envelope, seal
from buildinghub.credentials.sealing import SealingKey

INFO = b"buildinghub-test-v1"
MESSAGE = b"the rent was paid on the 3rd"


@pytest.fixture(scope="module")
def recipient() -> SealingKey:
    return SealingKey.generate()


@pytest.fixture(scope="module")
def sender() -> SealingKey:
    return SealingKey.generate()


def test_base_mode_opens_for_the_recipient_in_its_context(recipient: SealingKey) -> None:
    sealed = seal(MESSAGE, recipient.public_key, info=INFO, aad=b"header")

    assert len(sealed) == len(MESSAGE) + OVERHEAD
    assert open_envelope(sealed, recipient, info=INFO, aad=b"header", max_plaintext=64) == MESSAGE


def test_auth_mode_opens_only_with_the_senders_key_named(
    recipient: SealingKey, sender: SealingKey
) -> None:
    sealed = seal(MESSAGE, recipient.public_key, info=INFO, sender=sender)

    assert (
        open_envelope(sealed, recipient, info=INFO, sender=sender.public_key, max_plaintext=64)
        == MESSAGE
    )
    with pytest.raises(EnvelopeRefused):
        open_envelope(
            sealed,
            recipient,
            info=INFO,
            sender=SealingKey.generate().public_key,
            max_plaintext=64,
        )
    with pytest.raises(EnvelopeRefused):
        open_envelope(sealed, recipient, info=INFO, max_plaintext=64)


@pytest.mark.parametrize(
    ("key", "info", "aad"),
    [("other", INFO, b""), ("recipient", b"another context", b""), ("recipient", INFO, b"x")],
    ids=["other-key", "other-info", "other-aad"],
)
def test_an_envelope_does_not_open_elsewhere(
    recipient: SealingKey, key: str, info: bytes, aad: bytes
) -> None:
    sealed = seal(MESSAGE, recipient.public_key, info=INFO)
    opener = recipient if key == "recipient" else SealingKey.generate()

    with pytest.raises(EnvelopeRefused, match="does not open") as refused:
        open_envelope(sealed, opener, info=info, aad=aad, max_plaintext=64)

    assert refused.value.reason == "envelope_refused"


@pytest.mark.parametrize("size", [0, OVERHEAD - 1, OVERHEAD + 65])
def test_an_envelope_of_impossible_size_is_refused_before_opening(
    recipient: SealingKey, size: int
) -> None:
    with pytest.raises(EnvelopeRefused, match="an envelope here is"):
        open_envelope(bytes(size), recipient, info=INFO, max_plaintext=64)
