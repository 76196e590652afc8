"""What a tenant hands the store for one payment: the sealed record, under the tenant's signature.

A payment record is sealed to the tenant before it leaves their client (rent.seal_for_tenant),
so the store never reads the amount. What the store can check is who sent it and for which
contract: the tenant signs a small record ("stored-payment") over the contract digest and the
ciphertext. The store verifies it with the contract's tenant key and keeps it as is; the tenant
fetches it back, checks the signature, and opens the ciphertext (rent.open_payment).
"""

from typing import Final

from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.credentials.signed_record import SignedRecord, blob, read_record, sign_record

from .contract import SignedContract
from .errors import PaymentRefused
from .rent import PaymentRecord, seal_for_tenant, sign_payment

MAX_STORED_PAYMENT_BYTES: Final = 1024
_STORED: Final = "stored-payment"
_FIELDS: Final = ("contract", "sealed")
_DIGEST_LENGTH: Final = 32


def stored_payment(
    payment: PaymentRecord, tenant_key: SigningKey, tenant_sealing_key: PublicKey
) -> bytes:
    """Sign the payment, seal it to the tenant, and sign what goes to the store."""
    sealed = seal_for_tenant(
        sign_payment(payment, tenant_key), tenant_sealing_key, payment.contract
    )
    fields = {"contract": payment.contract, "sealed": sealed}
    return sign_record(_STORED, fields, tenant_key, max_size=MAX_STORED_PAYMENT_BYTES)


def stored_payment_contract(data: bytes) -> bytes:
    """The contract digest a stored payment names, read WITHOUT trusting it."""
    return blob(_read(data).fields, "contract", length=_DIGEST_LENGTH)


def stored_payment_digest(data: bytes) -> bytes:
    """What names a stored payment and what a store deduplicates it by: the digest of its
    signed content, the same however the signature is encoded (SPEC S4)."""
    return _read(data).digest


def _read(data: bytes) -> SignedRecord:
    return read_record(data, record_type=_STORED, fields=_FIELDS, max_size=MAX_STORED_PAYMENT_BYTES)


def read_stored_payment(data: bytes, contract: SignedContract) -> bytes:
    """Check the contract's tenant signed it for this contract; returns the sealed record."""
    signed = _read(data)
    signed.verify(contract.terms.tenant_key)
    if blob(signed.fields, "contract", length=_DIGEST_LENGTH) != contract.digest:
        raise PaymentRefused("the stored payment names another contract")
    return blob(signed.fields, "sealed", max_length=MAX_STORED_PAYMENT_BYTES)
