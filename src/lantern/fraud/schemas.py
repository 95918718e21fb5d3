"""Partner intake records. Identifiers arrive only as partner-keyed pseudonyms (64 hex
characters, e.g. an HMAC-SHA-256 with the key the partners share); anything that looks like a
phone number, account number, name or ID number in clear is refused, naming the field."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
_PHONE = re.compile(r"^\+?[\d\s\-().]{6,}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{10,}$")
# Keys that would carry personal data in clear; refused with their own message (not "extra field").
PERSONAL_KEYS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "payer_name",
        "payee_name",
        "account_holder",
        "national_id",
        "id_number",
        "personal_id",
        "ssn",
        "passport",
        "iban",
        "account_number",
        "phone",
        "phone_number",
        "msisdn",
        "imsi",
        "imei",
        "email",
        "address",
        "birth_date",
        "date_of_birth",
    }
)
REF = r"^[A-Za-z0-9_\-.:/]+$"


def pseudonym(value: str) -> str:
    """The value if it is a pseudonym; else a message saying what it looks like and what to send."""
    if PSEUDONYM.fullmatch(value):
        return value
    compact = value.replace(" ", "")
    if _IBAN.fullmatch(value.upper()) or (compact.isdigit() and len(compact) >= 8 and not value.startswith("+")):
        raise ValueError("looks like an account number in clear; send the partner-keyed pseudonym (64 hex characters)")
    if _PHONE.fullmatch(value) and sum(c.isdigit() for c in value) >= 6:
        raise ValueError("looks like a phone number in clear; send the partner-keyed pseudonym (64 hex characters)")
    raise ValueError("must be the partner-keyed pseudonym: 64 lowercase hex characters")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TransactionIn(_Record):
    tx_id: str = Field(min_length=1, max_length=80, pattern=REF)
    time: AwareDatetime
    from_account: str
    to_account: str
    amount: float = Field(gt=0, le=1e10)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    channel: Literal["transfer", "instant", "card", "wallet", "cash", "atm"]
    new_payee: bool = False
    payer_phone: str | None = None  # the payer's registered phone, pseudonymised with the same key

    _ids = field_validator("from_account", "to_account", "payer_phone")(lambda v: None if v is None else pseudonym(v))

    @model_validator(mode="after")
    def _two_accounts(self) -> TransactionIn:
        if self.from_account == self.to_account:
            raise ValueError("field `to_account`: is the same account as `from_account`")
        return self


class CallIn(_Record):
    time: AwareDatetime
    from_number: str
    to_number: str
    duration_s: int = Field(ge=0, le=86_400)
    kind: Literal["voice", "sms"] = "voice"
    # Whose side the operator saw it from; from/to already say who called whom, so it is not kept.
    direction: Literal["in", "out"] | None = None

    _ids = field_validator("from_number", "to_number")(pseudonym)


class ReportIn(_Record):
    report_id: str = Field(min_length=1, max_length=80, pattern=REF)
    subject_type: Literal["number", "account", "transaction"]
    subject: str = Field(min_length=1, max_length=80)
    label: Literal["scam_number", "mule", "fraud", "not_fraud"]
    time: AwareDatetime

    @model_validator(mode="after")
    def _subject_is_pseudonymous(self) -> ReportIn:
        if self.subject_type != "transaction":
            try:
                pseudonym(self.subject)
            except ValueError as exc:
                raise ValueError(f"field `subject`: {exc}") from exc
        return self


WARNING_OUTCOMES = {
    "warned": "payer warned",
    "loss_prevented": "loss prevented (the bank held or recalled the payment)",
    "false_alarm": "false alarm (a legitimate payment)",
    "could_not_reach": "could not reach the payer",
}


class WarningOutcome(_Record):
    outcome: Literal["warned", "loss_prevented", "false_alarm", "could_not_reach"]
    note: str = Field(default="", max_length=500)


# --- case lifecycle and identity-reveal requests (staff and partners) -----------------------

OUTCOMES = {
    "referred": "referred for prosecution",
    "disrupted": "ring disrupted (accounts closed or frozen by the partners)",
    "insufficient_evidence": "insufficient evidence",
    "false_positive": "false positive (legitimate activity)",
    "duplicate": "duplicate of another case",
}
Outcome = Literal["referred", "disrupted", "insufficient_evidence", "false_positive", "duplicate"]


class CaseClose(_Record):
    outcome: Outcome
    reason: str = Field(min_length=10, max_length=1000)


class CaseReopen(_Record):
    reason: str = Field(min_length=10, max_length=1000)


class RevealRequestIn(_Record):
    """Ask who holds one of the case's accounts, or one number the centre has seen."""

    subject_type: Literal["account", "number"]
    subject: str
    partner: str = Field(default="", max_length=120)  # empty: the only partner that sent the identifier
    reason: str = Field(max_length=500)

    _subject = field_validator("subject")(pseudonym)


class RevealDecision(_Record):
    approve: bool
    reason: str = Field(max_length=500)


class RevealAnswer(_Record):
    """A partner's answer: who holds the account or number, kept to the minimum.

    For an account: the holder's ``name`` and the bank's ``holder_ref`` (customer number); for
    a number: the subscriber's ``name`` and ``phone``. ``not_held`` when the partner has no such
    customer. Anything else (address, ID number, birth date ...) is refused.
    """

    name: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=40)
    holder_ref: str = Field(default="", max_length=80)
    not_held: bool = False

    @model_validator(mode="after")
    def _something_or_not_held(self) -> RevealAnswer:
        if self.phone and not _PHONE.fullmatch(self.phone):
            raise ValueError("field `phone`: is not a phone number (digits, spaces, + - ( ) .)")
        given = [k for k in ("name", "phone", "holder_ref") if getattr(self, k)]
        if self.not_held and given:
            raise ValueError(f"`not_held` is true, so send no identity fields (got {', '.join(given)})")
        if not self.not_held and not given:
            raise ValueError("send `name` with `holder_ref` (accounts) or `phone` (numbers), or `not_held`: true")
        return self
