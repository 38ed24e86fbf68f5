"""Messages of the operations and schemas, shown on pages in the reader's language.

The operations and the API speak English (the API's clients and tests read those texts); a page
passes every message it shows through :func:`translate`: a fixed text is looked up in the catalog,
a text with values in it is matched against :data:`PATTERNS` and its values put into the
translation. Texts naming internal ids (an instrument's or a job's number in the database) are
replaced by words people use. A text found nowhere is shown as it is.
"""
import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

# fixed texts of lims/modules/*/operations, rules and marshmallow (listed so that extraction keeps them)
FIXED = (
    _l("required"), _l("must be a finite number"), _l("must be greater than 0"),
    _l("must be greater than range_min"), _l("must be 1, 2 or 5 × 10^k (R 76-1 3.1.2)"), _l("must not exceed e"),
    _l("must be less than max"), _l("missing column"), _l("the file has no data rows"),
    _l("more fields than columns in the header"), _l("longer than 120 characters"),
    _l("you may import instruments only for your own organisation"), _l("required for admins"),
    _l("Missing data for required field."), _l("Not a valid integer."), _l("Not a valid number."),
    _l("Not a valid date."), _l("Field may not be null."), _l("Not a valid string."), _l("Unknown field."),
    _l("contains duplicates"), _l("a withdrawn instrument cannot be booked"),
    _l("characteristics must be an object"), _l("required to submit: pass or fail"),
    _l("a bench is required to start work"),
    _l("the person who performed the work cannot approve or reject it (four-eyes rule)"),
    _l("a reason is required to revoke a certificate"), _l("a reason is required to replace a certificate"),
    _l("the judged result is pass: every test point is within the MPE"),
    _l("only for the weighing points of scales (the flash-point method)"), _l("must be after calibrated_on"),
    _l("a batch is one organisation's instruments; book each organisation's instruments separately"),
    _l("work has started on some of these instruments; the booking cannot be cancelled"),
)

PATTERNS = [
    (re.compile(r"^must be one of (?P<v>.+)$"), _l("must be one of %(v)s")),
    (re.compile(r"^must be at least (?P<n>\S+) e for class (?P<cls>\S+) \(R 76-1 Table 3\)$"),
     _l("must be at least %(n)s e for class %(cls)s (R 76-1 Table 3)")),
    (re.compile(r"^n = max/e = (?P<n>\S+) is outside (?P<lo>\S+)…(?P<hi>\S+) for class (?P<cls>\S+) "
                r"\(R 76-1 Table 3\)$"),
     _l("n = max/e = %(n)s is outside %(lo)s…%(hi)s for class %(cls)s (R 76-1 Table 3)")),
    (re.compile(r"^e = (?P<e>\S+) g is not allowed for class (?P<cls>\S+) \(R 76-1 Table 3\)$"),
     _l("e = %(e)s g is not allowed for class %(cls)s (R 76-1 Table 3)")),
    (re.compile(r"^not a characteristic of (?P<code>\S+)$"), _l("not a characteristic of this instrument type")),
    (re.compile(r"^unknown instrument type '(?P<code>.*)'$"), _l("unknown instrument type %(code)s")),
    (re.compile(r"^an instrument .* with serial number (?P<serial>.+) is already registered$"),
     _l("an instrument of this manufacturer and model with serial number %(serial)s is already registered")),
    (re.compile(r"^duplicates row (?P<row>\d+)$"), _l("the same instrument as row %(row)s")),
    (re.compile(r"^'(?P<v>.*)' is not a number$"), _l("%(v)s is not a number")),
    (re.compile(r"^no organisation '(?P<v>.*)'$"), _l("no organisation with number %(v)s")),
    (re.compile(r"^more than (?P<n>\d+) rows$"), _l("more than %(n)s rows")),
    (re.compile(r"^unreadable CSV: (?P<why>.*)$"), _l("the file cannot be read as CSV (UTF-8 text expected)")),
    (re.compile(r"^instrument .+ already has an open job( \(job \d+\))?; finish or return it first$"),
     _l("this instrument already has an open job (booked or in the lab)")),
    (re.compile(r"^\w+ \d+ is at version \d+, not \d+; reload it and apply your change again$"),
     _l("Someone changed this record after you opened the page; reload it and apply your change again.")),
    (re.compile(r"^cannot \w+ a job that is \w+ \(allowed from: .*\)$"),
     _l("This step is not possible in the job's current state; reload the page.")),
    (re.compile(r"^job \d+ is \w+; only an approved job gets a certificate$"),
     _l("Only an approved job gets a certificate.")),
    (re.compile(r"^job \d+ already has certificate (?P<number>\S+); replace it to correct it$"),
     _l("This job already has certificate %(number)s; replace it to correct it.")),
    (re.compile(r"^certificate (?P<number>\S+) is already revoked$"), _l("Certificate %(number)s is already revoked.")),
    (re.compile(r"^certificate (?P<number>\S+) is \w+; only a current certificate can be replaced$"),
     _l("Certificate %(number)s is no longer current; only a current certificate can be replaced.")),
    (re.compile(r"^results can be entered only while the job is in progress; job \d+ is \w+$"),
     _l("Results can be entered only while the job is in progress.")),
    (re.compile(r"^the judged result is fail: test points (?P<points>.+) exceed the MPE$"),
     _l("The judged result is fail: test points %(points)s exceed the MPE.")),
    (re.compile(r"^(cannot submit a pass: )?test points not measured yet: (?P<points>.+)$"),
     _l("Test points not measured yet: %(points)s.")),
    (re.compile(r"^this test takes (?P<n>\d+) indications, got (?P<m>\d+)$"),
     _l("this test takes %(n)s indications, you gave %(m)s")),
    (re.compile(r"^must be between 0 and e = (?P<e>.+)$"), _l("must be between 0 and e = %(e)s")),
    (re.compile(r"^reference standard past its calibration due date may not be used: (?P<codes>.+)$"),
     _l("A reference standard past its calibration due date may not be used: %(codes)s.")),
    (re.compile(r"^a \w+ must belong to a .+, not a \w+$"), _l("does not fit the organisation's kind")),
    (re.compile(r"^username .+ is taken$"), _l("is already taken")),
    (re.compile(r"^Longer than maximum length (?P<n>\d+)\.$"), _l("at most %(n)s characters")),
    (re.compile(r"^Shorter than minimum length (?P<n>\d+)\.$"), _l("at least %(n)s characters")),
    (re.compile(r"^Length must be between (?P<lo>\d+) and (?P<hi>\d+)\.$"),
     _l("between %(lo)s and %(hi)s characters")),
    (re.compile(r"^due_on \((?P<due>[^)]*)\) must be after calibrated_on \((?P<cal>[^)]*)\)$"),
     _l("the due date (%(due)s) must be after the calibration date (%(cal)s)")),
    (re.compile(r"^campaign (?P<id>\d+): no instrument needs planning$"),
     _l("campaign %(id)s: no instrument needs planning")),
    (re.compile(r"^campaign (?P<id>\d+) already has planned visits; cancel them before planning again$"),
     _l("campaign %(id)s already has planned visits; cancel them before planning again")),
    (re.compile(r"^the planner refused the instance: (?P<problem>.+)$"),
     _l("the planner refused the instance: %(problem)s")),
    (re.compile(r"^batch (?P<number>\S+) is booked into the lab's bench capacity \(booking \d+\); cancel that "
                r"booking instead, which also gives the bench time back$"),
     _l("Batch %(number)s was booked into a day of the lab's bench time: cancel that booking (under Bookings), "
        "which also gives the bench time back.")),
    (re.compile(r"^session (?P<session>\d+) has no reading (?P<seq>.+)$"),
     _l("session %(session)s has no reading %(seq)s")),
    (re.compile(r"^job \d+ has no measurement session (?P<session>\S+)$"),
     _l("this job has no measurement session %(session)s")),
    (re.compile(r"^not a test point of this job; the points are: (?P<points>.+)$"),
     _l("not a test point of this job; the points are: %(points)s")),
    (re.compile(r"^reading (?P<seq>\d+) is in (?P<unit>\S+), the point in (?P<point_unit>\S+)$"),
     _l("reading %(seq)s is in %(unit)s, the test point in %(point_unit)s")),
    (re.compile(r"^reading (?P<seq>\d+) was taken for test point '(?P<taken>.*)', not '(?P<point>.*)'$"),
     _l("reading %(seq)s was taken for test point %(taken)s, not %(point)s")),
    (re.compile(r"^batch (?P<number>\S+) was already received on (?P<day>\S+) by (?P<who>.+); it cannot be \w+$"),
     _l("Batch %(number)s was already received on %(day)s by %(who)s.")),
    (re.compile(r"^batch (?P<number>\S+) was cancelled on (?P<day>\S+); it cannot be \w+$"),
     _l("Batch %(number)s was cancelled on %(day)s; there is nothing to receive or cancel.")),
    (re.compile(r"^batch (?P<number>\S+): the lab has already received (?P<serials>.+); the batch cannot be cancelled"),
     _l("Batch %(number)s cannot be cancelled: the lab has already received %(serials)s. "
        "Cancel the other bookings one by one.")),
]


def translate(text: object) -> str:
    """``text`` in the request's language when the catalog or a pattern knows it, else unchanged."""
    text = str(text)
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, template in PATTERNS:
        m = pattern.match(text)
        if m:
            return str(template) % m.groupdict() if m.groupdict() else str(template)
    return text
