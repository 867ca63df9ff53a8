from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from litfeed.errors import InvalidInput
from litfeed.fulltext.ezproxy import parse_prefix, proxied_url

TRICKY = "https://www.nejm.org/doi/full/10.1056/NEJMoa1?query=a&b=c&url=x#sec-2"
LOGIN = "https://login.ezproxy.example.edu/login?url="
QLOGIN = "https://login.ezproxy.example.edu/login?qurl="
HOST = "ezproxy.example.edu"


# --- recognising a prefix -----------------------------------------------------------------

@pytest.mark.parametrize(("raw", "form", "value", "encoded"), [
    (LOGIN, "login", LOGIN, False),
    (QLOGIN, "login", QLOGIN, True),
    ("  HTTPS://EZPROXY.Example.EDU:2443/login?URL=  ", "login",
     "https://ezproxy.example.edu:2443/login?url=", False),
    ("http://proxy.lib.example.edu/login?url=", "login",
     "http://proxy.lib.example.edu/login?url=", False),
    ("https://proxy.example.edu/login?auth=sso&qurl=", "login",
     "https://proxy.example.edu/login?auth=sso&qurl=", True),
    ("ezproxy.example.edu", "hostname", "ezproxy.example.edu", False),
    (".EZproxy.Example.edu/", "hostname", "ezproxy.example.edu", False),
])
def test_prefix_forms_are_recognised_and_normalised(
    raw: str, form: str, value: str, encoded: bool
) -> None:
    prefix = parse_prefix(raw)
    assert (prefix.form, prefix.value, prefix.encoded) == (form, value, encoded)


@pytest.mark.parametrize(("raw", "message"), [
    ("", "empty"),
    ("javascript://ezproxy.example.edu/login?url=", "https:// or http://"),
    ("javascript:alert(1)//login?url=", "three labels"),
    ("ftp://ezproxy.example.edu/login?url=", "https:// or http://"),
    ("https://ezproxy.example.edu/", "/login?url="),
    ("https://ezproxy.example.edu/login", "/login?url="),
    ("https://ezproxy.example.edu/login?url", "/login?url="),
    ("https://ezproxy.example.edu/login?url=https://x.org", "/login?url="),
    ("https://ezproxy.example.edu/start?url=", "/login?url="),
    ("https://ezproxy.example.edu/login?url=#", "'#'"),
    ("https://user:pw@ezproxy.example.edu/login?url=", "host name"),
    ("https://localhost/login?url=", "host name"),
    ("example.edu", "three labels"),
    ("ezproxy.example.edu:2048", "three labels"),
    ("ez_proxy.example.edu", "three labels"),
    ("ezproxy.example.edu/login?url=", "three labels"),
])
def test_bad_prefixes_are_refused_with_a_message_that_says_what_is_expected(
    raw: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_prefix(raw)
    assert message in caught.value.message


# --- login form ---------------------------------------------------------------------------

def test_url_form_appends_the_raw_target_last() -> None:
    proxied = proxied_url(LOGIN, TRICKY)
    assert proxied == LOGIN + TRICKY
    # EZproxy reads everything after url= as the target; the browser keeps #sec-2 and
    # carries it across EZproxy's redirect.
    assert proxied.split("?url=", 1)[1].split("#")[0] == TRICKY.split("#")[0]


def test_url_form_escapes_only_what_is_illegal_in_a_url() -> None:
    proxied = proxied_url(LOGIN, "https://example.org/Ärzteblatt?q=α")
    assert proxied == LOGIN + "https://example.org/%C3%84rzteblatt?q=%CE%B1"


def test_qurl_form_percent_encodes_the_whole_target() -> None:
    proxied = proxied_url(QLOGIN, TRICKY)
    encoded = proxied.removeprefix(QLOGIN)
    assert not set("?&#=:/") & set(encoded)
    assert unquote(encoded) == TRICKY
    # a standard query parser gets the target back intact, fragment included
    assert parse_qs(urlsplit(proxied).query)["qurl"] == [TRICKY]


# --- hostname form ------------------------------------------------------------------------

def test_hostname_form_folds_https_host_into_a_proxy_subdomain_keeping_the_rest() -> None:
    assert proxied_url(HOST, TRICKY) == (
        "https://www-nejm-org.ezproxy.example.edu"
        "/doi/full/10.1056/NEJMoa1?query=a&b=c&url=x#sec-2"
    )


def test_hostname_form_doubles_hyphens_so_the_rewrite_is_reversible() -> None:
    assert proxied_url(HOST, "https://www.thieme-connect.de/products/ejournals/abstract/1") == (
        "https://www-thieme--connect-de.ezproxy.example.edu/products/ejournals/abstract/1"
    )
    assert proxied_url(HOST, "https://doi.org/10.1056/NEJMoa1") == (
        "https://doi-org.ezproxy.example.edu/10.1056/NEJMoa1"
    )


def test_hostname_form_keeps_dots_for_http_targets_as_ezproxy_does() -> None:
    assert proxied_url(HOST, "http://www.somedb.com/search?a=1&b=2#top") == (
        "http://www.somedb.com.ezproxy.example.edu/search?a=1&b=2#top"
    )


def test_hostname_form_puts_a_non_default_port_in_front() -> None:
    assert proxied_url(HOST, "http://www.otherdb.com:180/x") == (
        "http://p180-www.otherdb.com.ezproxy.example.edu/x"
    )
    assert proxied_url(HOST, "https://www.otherdb.com:443/x") == (
        "https://www-otherdb-com.ezproxy.example.edu/x"
    )


def test_hostname_form_handles_a_bare_host_and_upper_case() -> None:
    assert proxied_url(HOST, "HTTPS://WWW.Example.ORG") == "https://www-example-org.ezproxy.example.edu"


@pytest.mark.parametrize("target", [
    "javascript:alert(1)",
    "data:text/html,hi",
    "//www.nejm.org/x",
    "https://user:pw@www.nejm.org/",
])
@pytest.mark.parametrize("prefix", [LOGIN, QLOGIN, HOST])
def test_only_http_targets_are_proxied(prefix: str, target: str) -> None:
    with pytest.raises(InvalidInput, match="only http"):
        proxied_url(prefix, target)


def test_hostname_form_refuses_ip_addresses() -> None:
    with pytest.raises(InvalidInput, match="host names"):
        proxied_url(HOST, "https://192.0.2.1/x")
    with pytest.raises(InvalidInput, match="host names"):
        proxied_url(HOST, "https://[2001:db8::1]/x")


def test_a_bad_prefix_fails_at_proxying_too() -> None:
    with pytest.raises(InvalidInput):
        proxied_url("https://ezproxy.example.edu/", "https://doi.org/10.1/x")
