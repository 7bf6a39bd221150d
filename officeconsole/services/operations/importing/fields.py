"""The columns each kind of import reads: name, whether required, the limit, common synonyms.

docs/import.md describes the same table for people; `describe()` prints it for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from officeconsole.models.imports import ImportKind


@dataclass(frozen=True)
class Field:
    name: str
    required: bool
    limit: int  # the most characters a cell may hold (a longer one is refused, never cut)
    synonyms: tuple[str, ...] = ()
    help: str = ""


def _f(name: str, required: bool, limit: int, synonyms: str = "", help: str = "") -> Field:
    return Field(name, required, limit, tuple(s.strip() for s in synonyms.split("|") if s.strip()), help)


PATIENT_ID = _f("patient_id", True, 100,
                "patient id|patientid|patient no|patient number|pat id|chart|chart no|chart number|"
                "account|account no|account number|acct|acct no|external id|person id",
                "the other system's ID for the patient (kept, so a rerun finds the patient)")


def _own_id(field: Field) -> Field:
    """The record's own ID, also read from a plain `id` column (as an Office Console export writes it)."""
    return replace(field, synonyms=(*field.synonyms, "id"))


FIELDS: dict[ImportKind, tuple[Field, ...]] = {
    ImportKind.PATIENTS: (
        _own_id(PATIENT_ID),
        _f("last_name", True, 100, "last|lastname|last name|surname|family name|lname|patient last name"),
        _f("first_name", True, 100, "first|firstname|first name|given name|given|fname|patient first name"),
        _f("middle_name", False, 100, "middle|middle name|middlename|middle initial|mi"),
        _f("preferred_name", False, 100, "preferred|preferred name|nickname|goes by"),
        _f("latin_first_name", False, 100, "first name in latin letters|latin first name",
           "the first name as on the insurance card, for a name written in another script"),
        _f("latin_last_name", False, 100, "last name in latin letters|latin last name",
           "the last name as on the insurance card, for a name written in another script"),
        _f("dob", True, 30, "dob|date of birth|birth date|birth_date|birthdate|birthday|d.o.b.",
           "YYYY-MM-DD or MM/DD/YYYY"),
        _f("sex", False, 10, "sex|gender|sex at birth", "F, M, X (other) or U (unknown); Female/Male accepted"),
        _f("phone", False, 30, "phone|phone number|home phone|cell|cell phone|mobile|mobile phone|telephone|tel|"
                               "primary phone"),
        _f("email", False, 254, "email|e-mail|email address|e-mail address"),
        _f("address_line1", False, 200, "address|address 1|address1|address line 1|street|street address"),
        _f("address_line2", False, 200, "address 2|address2|address line 2|apt|suite|unit"),
        _f("city", False, 100, "city|town"),
        _f("state", False, 2, "state|st|province", "two letters (IL)"),
        _f("postal_code", False, 10, "zip|zip code|zipcode|postal code|postcode|postal"),
        _f("preferred_contact", False, 10, "preferred contact|contact preference|contact method|"
                                           "preferred contact method", "phone, sms, email or mail"),
    ),
    ImportKind.POLICIES: (
        _own_id(_f("policy_id", False, 100, "policy id|coverage id|insurance id|ins id|policyid",
                   "the other system's ID for the policy (without it: patient ID, payer and member ID)")),
        PATIENT_ID,
        _f("payer", True, 120, "payer|payer name|payer id|insurance|insurance company|insurance name|insurer|"
                               "carrier|plan|plan name|ins company",
           "the clinic's payer by its name, its electronic payer ID or its Office Console ID"),
        _f("member_id", True, 40, "member id|memberid|member number|subscriber id|insured id|policy number|"
                                  "policy no|id number|member no"),
        _f("group_number", False, 40, "group|group number|group no|group #|group id"),
        _f("rank", False, 10, "rank|order|priority|coverage order|sequence|seq|level|cob",
           "1/primary, 2/secondary or 3/tertiary; 1 when empty"),
        _f("subscriber_name", False, 200, "subscriber|subscriber name|insured|insured name|policy holder|"
                                          "policyholder|guarantor"),
        _f("subscriber_last_name", False, 100, "subscriber last name|insured last name",
           "the subscriber's name in parts (instead of subscriber_name)"),
        _f("subscriber_first_name", False, 100, "subscriber first name|insured first name"),
        _f("subscriber_middle_name", False, 100, "subscriber middle name|insured middle name"),
        _f("subscriber_suffix", False, 10, "subscriber suffix|insured suffix", "Jr, Sr, II, III, IV or V"),
        _f("subscriber_dob", False, 30, "subscriber dob|subscriber date of birth|insured dob|insured date of birth"),
        _f("relationship", False, 10, "relationship|relation|relationship to subscriber|relationship to insured|"
                                      "patient relationship|subscriber relationship",
           "self, spouse, child or other; self when empty"),
        _f("effective_from", True, 30, "effective|effective from|effective date|eff date|start|start date|"
                                       "coverage start|begin date"),
        _f("effective_to", False, 30, "effective to|end|end date|termination date|term date|expiration date|"
                                      "coverage end"),
        _f("copay", False, 12, "copay|co-pay|copayment|copay amount"),
    ),
    ImportKind.APPOINTMENTS: (
        _own_id(_f("appointment_id", True, 100, "appointment id|appt id|apptid|appointment no|visit id|"
                                                "encounter id|booking id")),
        PATIENT_ID,
        _f("provider", True, 120, "provider|provider name|doctor|physician|clinician|rendering provider|"
                                  "provider npi|npi|resource|provider id",
           "the clinic's provider by NPI, username, full name or Office Console ID"),
        _f("type", True, 60, "type|appointment type|appt type|visit type|reason code|service|type id",
           "the clinic's appointment type by name or Office Console ID"),
        _f("date", False, 30, "date|appointment date|appt date|visit date|scheduled date",
           "required unless start_at is given"),
        _f("start", False, 20, "start|time|start time|appt time|appointment time|scheduled time",
           "HH:MM (24-hour) or H:MM AM/PM; required unless start_at is given"),
        _f("start_at", False, 40, "start at|starts at|start date time|start datetime",
           "date and time in one cell instead of date and start: YYYY-MM-DDTHH:MM, in the clinic's time zone "
           "unless it carries its own offset (+00:00)"),
        _f("end_at", False, 40, "end at|ends at|end date time|end datetime",
           "the end in the same form as start_at, instead of minutes"),
        _f("minutes", False, 4, "minutes|duration|length|length (min)|duration (min)|mins",
           "the type's length when empty"),
        _f("reason", False, 500, "reason|reason for visit|chief complaint|complaint|notes|note|comment|comments"),
    ),
    ImportKind.BALANCES: (
        PATIENT_ID,
        _f("amount", True, 16, "amount|balance|patient balance|balance due|amount due|owes|current balance",
           "dollars and cents; negative for a credit"),
        _f("as_of", False, 30, "as of|as_of|balance date|date|statement date",
           "the day of the switch; today when empty"),
    ),
}

# Fields of which a file needs one whole group: an appointment's date and start, or start_at.
ONE_OF: dict[ImportKind, tuple[tuple[str, ...], ...]] = {ImportKind.APPOINTMENTS: (("date", "start"), ("start_at",))}

# The field whose value is the row's own ID in the source system.
SOURCE_ID = {ImportKind.PATIENTS: "patient_id", ImportKind.POLICIES: "policy_id",
             ImportKind.APPOINTMENTS: "appointment_id", ImportKind.BALANCES: "patient_id"}

# Fields whose values name something in the clinic, which a value map can translate.
LOOKUPS = {ImportKind.POLICIES: ("payer",), ImportKind.APPOINTMENTS: ("provider", "type")}


def fields_of(kind: ImportKind) -> dict[str, Field]:
    return {f.name: f for f in FIELDS[kind]}


def header_key(text: str) -> str:
    """A header as compared: case, spaces, underscores, dashes and dots do not matter."""
    return "".join(ch for ch in text.casefold() if ch.isalnum() or ch == "#")
