"""Service refusals in the page language.

Services speak English with a stable ``code`` and ``field``; pages translate the messages they
know and show any other message as the service wrote it, so nothing is ever hidden.
"""

import re

from django.utils.translation import gettext_lazy as _

from channelhub.core.errors import ServiceError

MESSAGES = {
    "name is required": _("Name is required."),
    "code cannot be empty": _("Code cannot be empty."),
    "every contact needs a name": _("Every contact needs a name."),
    "registered capital must be an amount in CNY": _("Registered capital must be an amount in CNY."),
    "registered capital cannot be negative": _("Registered capital cannot be negative."),
    "a distributor needs a sales territory": _("A distributor needs a sales territory."),
    "this company already has an account in this brand": _("This company already has an account in this brand."),
    "the distributor was created by someone else at the same time": _(
        "The distributor was created by someone else at the same time."
    ),
    "your role does not allow this in this brand": _("Your role does not allow this in this brand."),
    "choose a brand (brand_id) to act in": _("Choose a brand to act in."),
    "brand not found": _("Brand not found."),
    "a sales region needs at least one division": _("A sales region needs at least one division."),
    "sales region is used by distributor territories": _(
        "This sales region is used by distributor territories and cannot be deleted."
    ),
    "territory must lie inside your regions": _("The territory must lie inside your regions."),
    "only brand admins manage integration keys": _("Only brand admins manage integration keys."),
    "a rejection needs a comment saying why": _("A rejection needs a comment saying why."),
    "too many failed sign-ins for this user; try again in 15 minutes": _(
        "Too many failed sign-ins for this user; try again in 15 minutes."
    ),
    "this task has already been decided": _("This task has already been decided."),
    "this task is not assigned to you": _("This task is not assigned to you."),
    "the colleague does not hold this step's role in the brand": _(
        "The colleague does not hold this step's role in the brand."
    ),
    "only a draft can be published": _("Only a draft can be published."),
    "the BPMN document is empty": _("The BPMN document is empty."),
    "say why the request goes back": _("Say why the request goes back."),
    "choose someone other than yourself": _("Choose someone other than yourself."),
    "the signer must be an active member of the brand's staff": _(
        "The signer must be an active member of the brand's staff."
    ),
    "only a process stopped by an incident can be retried": _("Only a process stopped by an incident can be retried."),
    # problems found when a process definition is published
    "the BPMN and DMN documents are larger than 1 MB together": _(
        "The BPMN and DMN documents are larger than 1 MB together."
    ),
    "DOCTYPE and ENTITY declarations are not allowed in BPMN or DMN": _(
        "DOCTYPE and ENTITY declarations are not allowed in BPMN or DMN."
    ),
}

PATTERNS = [
    (
        re.compile(r"^step '(?P<value>.+)' has not been done yet, so work cannot go back to it$"),
        _("Step %(value)s has not been done yet, so the request cannot go back to it."),
    ),
    (re.compile(r"^unknown division code\(s\): (?P<value>.+)$"), _("Unknown division code(s): %(value)s")),
    (re.compile(r"^unknown division code '(?P<value>.+)'$"), _("Unknown division code: %(value)s")),
    (re.compile(r"^unknown sales region id\(s\): (?P<value>.+)$"), _("Unknown sales region(s): %(value)s")),
    (
        re.compile(r"^territory must lie inside your regions: (?P<value>.+)$"),
        _("The territory must lie inside your regions: %(value)s"),
    ),
    (
        re.compile(r"^distributor code '(?P<value>.+)' is already used in this brand$"),
        _("Distributor code %(value)s is already used in this brand."),
    ),
    (
        re.compile(r"^sales region code '(?P<value>.+)' already exists in this brand$"),
        _("Sales region code %(value)s already exists in this brand."),
    ),
    (
        re.compile(r"^invalid unified social credit code .*: The number has an invalid length\.$"),
        _("The unified social credit code must have 18 characters."),
    ),
    (
        re.compile(r"^invalid unified social credit code .*: The number's checksum or check digit is invalid\.$"),
        _("The check digit of the unified social credit code is wrong; please check the code."),
    ),
    (
        re.compile(r"^invalid unified social credit code .*: The number has an invalid format\.$"),
        _("The unified social credit code has an invalid format."),
    ),
    (
        re.compile(r"^invalid unified social credit code \(统一社会信用代码\): (?P<value>.+)$"),
        _("Invalid unified social credit code (%(value)s)."),
    ),
    (re.compile(r"^scopes must be among .+$"), _("Choose at least one valid scope.")),
    (
        re.compile(r"^the process could not go on: (?P<value>.+)$", re.DOTALL),
        _("The process could not go on: %(value)s"),
    ),
    (
        re.compile(r"^the document must hold exactly one process, not (?P<value>\d+)$"),
        _("The document must hold exactly one process, not %(value)s."),
    ),
    (
        re.compile(r"^invalid BPMN at \S+ '(?P<at>[^']*)': (?P<value>.+)$", re.DOTALL),
        _("Invalid BPMN at “%(at)s”: %(value)s"),
    ),
    (re.compile(r"^invalid BPMN: (?P<value>.+)$", re.DOTALL), _("Invalid BPMN: %(value)s")),
    (
        re.compile(r"^step '(?P<value>.+)' can never be reached from the start$"),
        _("Step “%(value)s” can never be reached from the start."),
    ),
    (
        re.compile(
            r"^user task '(?P<value>.+)' is in (?P<lane>.+); put it in a lane named after a role \((?P<roles>.+)\)$"
        ),
        _("User task “%(value)s” is in lane %(lane)s; put it in a lane named after a role (%(roles)s)."),
    ),
    (
        re.compile(r"^gateway '(?P<value>.+)' has conditions but no default path$"),
        _("Gateway “%(value)s” has conditions but no default path."),
    ),
    (
        re.compile(r"^condition on gateway '(?P<value>.+?)': (?P<reason>.+)$", re.DOTALL),
        _("Condition on gateway “%(value)s”: %(reason)s"),
    ),
    (re.compile(r"^script of '(?P<value>.+?)': (?P<reason>.+)$", re.DOTALL), _("Script of “%(value)s”: %(reason)s")),
]


def error_message(exc: ServiceError) -> str:
    """The refusal's message in the page language when it is a known one, else as written."""
    return translated(exc.message)


def translated(message: str) -> str:
    """A service's English message (or one of a definition's problems) in the page language."""
    known = MESSAGES.get(message)
    if known is not None:
        return str(known)
    for pattern, template in PATTERNS:
        match = pattern.match(message)
        if match:
            return str(template) % match.groupdict()
    return message
