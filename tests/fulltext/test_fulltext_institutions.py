from __future__ import annotations

import pytest

from litfeed.errors import InvalidInput
from litfeed.fulltext.institutions import (
    Institution,
    institution_for_email,
    validate_institution,
)


def test_validation_normalises_every_field() -> None:
    saved = validate_institution(Institution(
        name="  Example   University ",
        ezproxy_prefix=" HTTPS://Login.EZproxy.Example.edu/login?url= ",
        openurl_base=" https://sfx.example.edu/local ",
        ill_url="https://example.illiad.oclc.org/illiad/illiad.dll/OpenURL",
        email_domains=("@Example.EDU", "med.example.edu", "example.edu"),
    ))
    assert saved == Institution(
        name="Example University",
        ezproxy_prefix="https://login.ezproxy.example.edu/login?url=",
        openurl_base="https://sfx.example.edu/local",
        ill_url="https://example.illiad.oclc.org/illiad/illiad.dll/OpenURL",
        email_domains=("example.edu", "med.example.edu"),
    )


def test_blank_optional_fields_become_none() -> None:
    saved = validate_institution(Institution(name="Lib", ezproxy_prefix=" ", openurl_base=""))
    assert (saved.ezproxy_prefix, saved.openurl_base, saved.ill_url) == (None, None, None)


def test_hostname_form_prefix_is_accepted() -> None:
    saved = validate_institution(Institution(name="Lib", ezproxy_prefix="EZproxy.Example.edu"))
    assert saved.ezproxy_prefix == "ezproxy.example.edu"


@pytest.mark.parametrize(("institution", "message"), [
    (Institution(name="  "), "name is empty"),
    (Institution(name="L", ezproxy_prefix="https://ezproxy.example.edu/"), "/login?url="),
    (Institution(name="L", ezproxy_prefix="javascript://x.example.edu/login?url="),
     "https:// or http://"),
    (Institution(name="L", openurl_base="javascript:alert(1)"), "OpenURL resolver base URL"),
    (Institution(name="L", openurl_base="sfx.example.edu/local"), "absolute https://"),
    (Institution(name="L", openurl_base="https://sfx.example.edu/#x"), "'#'"),
    (Institution(name="L", ill_url="data:text/html,x"), "interlibrary-loan URL"),
    (Institution(name="L", email_domains=("not a domain",)), "email domain"),
    (Institution(name="L", email_domains=("edu",)), "email domain"),
])
def test_invalid_institutions_are_refused_with_the_field_named(
    institution: Institution, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_institution(institution)
    assert message in caught.value.message


UNI = Institution(name="Example University", email_domains=("example.edu",))
MED = Institution(name="Example Medical School", email_domains=("med.example.edu",))
HOSP = Institution(name="General Hospital", email_domains=("hospital.example.org", "gh.org"))


@pytest.mark.parametrize(("email", "expected"), [
    ("jane@example.edu", UNI),
    ("Jane@EXAMPLE.EDU", UNI),
    ("student@students.example.edu", UNI),
    ("doc@med.example.edu", MED),  # the more specific domain wins
    ("doc@cardio.med.example.edu", MED),
    ("nurse@gh.org", HOSP),
    ("someone@notexample.edu", None),  # a suffix that is not a subdomain does not match
    ("someone@gmail.com", None),
    ("no-at-sign", None),
    ("trailing@", None),
    ("", None),
])
def test_institution_for_email(email: str, expected: Institution | None) -> None:
    assert institution_for_email(email, [UNI, MED, HOSP]) == expected


def test_reader_without_any_institution() -> None:
    assert institution_for_email("jane@example.edu", []) is None


def test_json_round_trip() -> None:
    institution = Institution(name="L", ezproxy_prefix="ezproxy.example.edu",
                              openurl_base="https://r.example.edu/", ill_url=None,
                              email_domains=("example.edu",))
    assert Institution.from_json(institution.to_json()) == institution
