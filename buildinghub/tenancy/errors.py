"""Why a contract, payment, inspection or credit request was refused.

Each error has a stable snake_case `reason`, as credential errors do; messages never carry
identity numbers, keys or amounts a person did not already see.
"""

from buildinghub.credentials.errors import CredentialError


class TenancyRefused(CredentialError):
    """A tenancy record was refused."""

    reason = "tenancy_refused"


class ContractMismatch(TenancyRefused):
    """The signed contract, or something derived from it, differs from what was agreed."""

    reason = "contract_mismatch"


class PaymentRefused(TenancyRefused):
    """A payment record does not fit its contract."""

    reason = "payment_refused"


class InspectionRefused(TenancyRefused):
    """An inspection report does not fit its contract."""

    reason = "inspection_refused"


class RequestExpired(TenancyRefused):
    """The credit request is outside its validity window."""

    reason = "request_expired"


class RequestReplayed(TenancyRefused):
    """The credit request was already answered."""

    reason = "request_replayed"


class CreditFileRefused(TenancyRefused):
    """The credit file does not open or does not verify."""

    reason = "credit_file_refused"
