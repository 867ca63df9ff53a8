"""The credit rules an administrator configures, and what litfeed may claim under them.

The server's defaults come from ``Settings`` (``LITFEED_CME_*``); values an admin stores (on
/admin/cme, ``PUT /api/admin/cme/settings`` or ``litfeed cme settings``) override them key by
key. Without an accreditation statement litfeed never presents credits as awarded: the
transcript says they are self-reported and pending an accredited provider's approval, and a
Category 1 label gets "pending provider approval" appended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from litfeed.config import Settings
from litfeed.errors import ConfigError, InvalidInput

CENT = Decimal("0.01")
MAX_CREDIT = Decimal("100")
MAX_LABEL = 200
MAX_STATEMENT = 4000
PENDING = "pending provider approval"
DEFAULT_CREDIT_TYPE = "AMA PRA Category 1 Credit™ — pending provider approval"
CATEGORY_2_TYPE = "AMA PRA Category 2 Credit™ (self-claimed)"
#: labels the admin page offers; any other label may be typed
CREDIT_TYPE_PRESETS = (DEFAULT_CREDIT_TYPE, CATEGORY_2_TYPE)
#: the keys an admin can set, in the order forms and the CLI show them
RULE_KEYS = ("credit_per_cycle", "credit_type", "yearly_cap", "provider_name",
             "accreditation_statement", "draft_days", "edit_hours")


@dataclass(frozen=True)
class CreditRules:
    credit_per_cycle: Decimal = Decimal("0.50")
    credit_type: str = DEFAULT_CREDIT_TYPE
    yearly_cap: Decimal | None = None  # None: no cap
    provider_name: str | None = None
    accreditation_statement: str | None = None
    draft_days: int = 7
    edit_hours: int = 24

    @property
    def accredited(self) -> bool:
        """An admin stated an accredited provider awards the credit (only then may we say so)."""
        return bool(self.accreditation_statement)

    @property
    def claimed_label(self) -> str:
        """The credit type recorded on a cycle completed under these rules."""
        return credit_label(self.credit_type, accredited=self.accredited)

    def to_json(self) -> dict[str, Any]:
        return {
            "credit_per_cycle": float(self.credit_per_cycle),
            "credit_type": self.credit_type,
            "yearly_cap": float(self.yearly_cap) if self.yearly_cap is not None else None,
            "provider_name": self.provider_name,
            "accreditation_statement": self.accreditation_statement,
            "draft_days": self.draft_days,
            "edit_hours": self.edit_hours,
            "accredited": self.accredited,
            "statement": statement(self),
        }


def parse_credit(value: object, name: str) -> Decimal:
    """A credit amount from text or a number: 0 to 100, rounded half up to hundredths.

    :raise InvalidInput: not a number, negative, or more than 100.
    """
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{name} {value!r} is not a number; expected e.g. 0.5") from None
    if not number.is_finite() or number < 0 or number > MAX_CREDIT:
        raise InvalidInput(f"{name} {value!r} is out of range; expected 0 to {MAX_CREDIT}")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _text(value: object, name: str, limit: int) -> str | None:
    text = " ".join(str(value).split()) if name != "accreditation_statement" else str(value)
    text = text.strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput(f"{name} contains control characters")
    if len(text) > limit:
        raise InvalidInput(f"{name} has at most {limit} characters")
    return text or None


def _whole(value: object, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise InvalidInput(f"{name} {value!r} is out of range; expected {low} to {high}")
    return number


def parse_rule(key: str, value: object) -> Any:
    """One rule's typed value from what an admin typed; ``None``/``""`` means "no value".

    :raise InvalidInput: an unknown key or a value that does not fit it.
    """
    empty = value is None or (isinstance(value, str) and not value.strip())
    if key == "credit_per_cycle":
        if empty:
            raise InvalidInput("credit_per_cycle needs a value, e.g. 0.5")
        return parse_credit(value, key)
    if key == "yearly_cap":
        if empty or str(value).strip().lower() in {"none", "no", "off"}:
            return None
        return parse_credit(value, key)
    if key == "credit_type":
        label = None if empty else _text(value, key, MAX_LABEL)
        if label is None:
            raise InvalidInput("credit_type needs a label, e.g. " + DEFAULT_CREDIT_TYPE)
        return label
    if key in ("provider_name", "accreditation_statement"):
        return None if empty else _text(value, key, MAX_LABEL if key == "provider_name"
                                        else MAX_STATEMENT)
    if key == "draft_days":
        return _whole(value, key, 1, 365)
    if key == "edit_hours":
        return _whole(value, key, 0, 24 * 90)
    raise InvalidInput(f"unknown CME setting {key!r}; expected one of {', '.join(RULE_KEYS)}")


def rules_from_settings(settings: Settings) -> CreditRules:
    """The server's defaults (``LITFEED_CME_*``).

    :raise ConfigError: a variable that does not fit its rule, named in the message.
    """
    raw = {"credit_per_cycle": settings.cme_credit_per_cycle,
           "credit_type": settings.cme_credit_type, "yearly_cap": settings.cme_yearly_cap,
           "provider_name": settings.cme_provider_name,
           "accreditation_statement": settings.cme_accreditation_statement,
           "draft_days": settings.cme_draft_days, "edit_hours": settings.cme_edit_hours}
    try:
        return CreditRules(**{k: parse_rule(k, v) for k, v in raw.items()})
    except InvalidInput as exc:
        raise ConfigError(f"LITFEED_CME_* setting: {exc.message}") from None


def with_overrides(base: CreditRules, stored: Mapping[str, str | None]) -> CreditRules:
    """``base`` with an admin's stored values applied; a stored ``None`` keeps the default
    for required rules and clears optional ones (cap, provider, statement)."""
    changes: dict[str, Any] = {}
    known = {f.name for f in fields(CreditRules)}
    for key, value in stored.items():
        if key not in known:
            continue  # a key from a newer version: ignore rather than fail every page
        if value is None and key in ("credit_per_cycle", "credit_type", "draft_days",
                                     "edit_hours"):
            continue
        changes[key] = parse_rule(key, value)
    return replace(base, **changes)


def credit_label(label: str, *, accredited: bool) -> str:
    """The credit type as a transcript may print it: without an accredited provider a
    Category 1 label always says it is pending approval."""
    if accredited or PENDING in label.lower() or "category 1" not in label.lower():
        return label
    return f"{label} — {PENDING}"


def statement(rules: CreditRules) -> str:
    """What the transcript says about who awards the credit."""
    if rules.accredited:
        who = rules.provider_name or "The accredited provider"
        return f"{who}: {rules.accreditation_statement}"
    provider = (f" They are submitted to {rules.provider_name}, which decides whether to award "
                "credit." if rules.provider_name else "")
    return ("These activities and credits are self-reported by the physician and recorded by "
            "litfeed, which is not an accredited CME provider and awards no credit. They are "
            f"pending approval by an accredited provider.{provider}")
