"""Typed errors of impactbond.

Every error derives from :class:`ImpactBondError` *and* from the matching
built-in (``ValueError``, ``TypeError``, ``KeyError``), so callers can catch
either.  Details are kept as fields (``participant``, ``row``, ``field``,
``rule``, ``clause``) so that a service can report them without parsing the
message.

>>> from impactbond.errors import InvalidSpell
>>> err = InvalidSpell("end before start", participant="P-001", row=2, field="end")
>>> isinstance(err, ValueError)
True
>>> print(err)
end before start [participant=P-001, row=2, field=end]
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousDate",
    "CPRNumberRefused",
    "ContractFileError",
    "ContractTypeError",
    "CurrencyMismatch",
    "DateOutsideGrid",
    "ImpactBondError",
    "InputNotFound",
    "InvalidContract",
    "InvalidFile",
    "InvalidInput",
    "InvalidParticipant",
    "InvalidRegister",
    "InvalidSpell",
    "InvalidTrajectory",
    "InvalidWindow",
    "LedgerBusy",
    "LedgerError",
    "LedgerNotFound",
    "LedgerSchemaTooNew",
    "LedgerVerificationFailed",
    "NothingToInvoice",
    "ParticipantTypeError",
    "SettlementError",
    "SpellTypeError",
    "UnknownCode",
    "UnknownParticipant",
    "UnknownRecord",
    "WrongType",
]


class ImpactBondError(Exception):
    """Base class of every error raised by impactbond.

    Parameters
    ----------
    message:
        What is wrong, in words.
    participant, row, field, rule, clause, source:
        Where it is wrong: the pseudonymous participant id, the input row or
        spell index, the field name, the rule that was broken, the contract
        clause it belongs to and the file (or table) it came from.  Any that
        do not apply stay ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        participant: str | None = None,
        row: int | None = None,
        field: str | None = None,
        rule: str | None = None,
        clause: str | None = None,
        source: str | None = None,
        errors: list[ImpactBondError] | None = None,
    ) -> None:
        self.message = message
        self.participant = participant
        self.row = row
        self.field = field
        self.rule = rule
        self.clause = clause
        self.source = source
        self.errors: list[ImpactBondError] = list(errors or [])
        super().__init__(message)

    def details(self) -> dict[str, Any]:
        """The non-empty location fields as a dict (handy for JSON error responses)."""
        out: dict[str, Any] = {}
        for name in ("source", "participant", "row", "field", "rule", "clause"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.details().items())
        text = f"{self.message} [{where}]" if where else self.message
        if self.errors:
            text += "".join(f"\n  - {e}" for e in self.errors)
        return text


class InvalidInput(ImpactBondError, ValueError):
    """Input data break a rule of the library or of the contract."""


class InvalidSpell(InvalidInput):
    """A spell is malformed (end before start, NaN or negative hours, ...)."""


class WrongType(ImpactBondError, TypeError):
    """A value of the wrong type was given (a string for a date, a datetime for a date,
    ``True`` for a number).  Each subclass is also the error of what was being built."""


class SpellTypeError(InvalidSpell, WrongType):
    """A spell was given a value of the wrong type."""


class InvalidTrajectory(InvalidInput):
    """A trajectory's spells overlap or belong to another participant."""


class InvalidParticipant(InvalidInput):
    """A participant record is malformed."""


class ParticipantTypeError(InvalidParticipant, WrongType):
    """A participant was given a value of the wrong type."""


class CPRNumberRefused(InvalidParticipant):
    """A participant id looks like a Danish CPR number; ids must be pseudonyms."""


class InvalidRegister(InvalidInput):
    """Register data (participants, spells, events) break the register's rules.

    ``errors`` holds one error per bad row, each naming its source, row,
    participant and field.
    """


class InvalidFile(InvalidInput):
    """A file cannot be read as a table: not a regular file, a wrong encoding or
    separator, missing or unknown columns, a cell that is not what its column holds.

    ``source`` names the file, ``row`` the data row (1 = the first row under
    the header) and ``field`` the column.
    """


class InputNotFound(InvalidFile, FileNotFoundError):
    """An input file does not exist."""


class InvalidWindow(InvalidInput):
    """A measurement window ends before it starts."""


class UnknownCode(InvalidInput):
    """A register code is not in the code table."""


class DateOutsideGrid(InvalidInput):
    """A date lies outside the period grid it is mapped onto."""


class AmbiguousDate(ImpactBondError, ValueError):
    """Month arithmetic has no single answer and no rounding was named."""


class CurrencyMismatch(ImpactBondError, TypeError):
    """Two amounts in different currencies were combined."""


class InvalidContract(ImpactBondError, ValueError):
    """A contract's terms are inconsistent (negative price, cap below zero, ...)."""


class ContractTypeError(InvalidContract, WrongType):
    """A term of a contract was given a value of the wrong type (also a ``TypeError``)."""


class ContractFileError(InvalidContract):
    """A contract file cannot be read into a contract."""


class UnknownParticipant(ImpactBondError, KeyError):
    """A participant id is not known to the object asked."""

    def __str__(self) -> str:  # KeyError would quote the message
        return ImpactBondError.__str__(self)


class SettlementError(ImpactBondError, ValueError):
    """Inputs to a settlement do not fit together (ids, cohorts, dates)."""


class LedgerError(ImpactBondError, RuntimeError):
    """The ledger refused an operation: it would change what is recorded as final.

    An issued invoice, a draft that is no longer current, a second contract in
    one ledger, an issue date before the previous invoice's.  The ledger is left
    as it was.
    """


class LedgerNotFound(LedgerError, FileNotFoundError):
    """No ledger at the path or URL given (create one with ``impactbond ledger init``)."""


class LedgerSchemaTooNew(LedgerError):
    """The ledger was written by a newer impactbond whose schema this version does not know."""


class LedgerBusy(LedgerError):
    """Another process wrote the ledger at the same time; nothing of this operation was kept."""


class NothingToInvoice(LedgerError):
    """Every due line is already on an issued invoice and no adjustment is open."""


class LedgerVerificationFailed(LedgerError):
    """A stored run does not reproduce, or a stored record does not match its hash."""


class UnknownRecord(LedgerError, KeyError):
    """A run, delivery, contract version or invoice is not in the ledger."""

    def __str__(self) -> str:  # KeyError would quote the message
        return ImpactBondError.__str__(self)
