"""Observable values: refanging and the per-type checks that keep junk out of the graph."""

from __future__ import annotations

import pytest

from vigilintel_connector.normalise.observables import (
    canonical_value,
    check_value,
    normalise_hashes,
    refang,
)


@pytest.mark.parametrize(
    ("defanged", "clean"),
    [
        ("hxxps[:]//telegram[.]org/js/x[.]js?22", "https://telegram.org/js/x.js?22"),
        ("108[.]187[.]7[.]133", "108.187.7.133"),
        ("evil(.)example(dot)net", "evil.example.net"),
        ("user[@]mail[.]ru", "user@mail.ru"),
        ("hXXp://a[.]b", "http://a.b"),
    ],
)
def test_refang(defanged, clean):
    assert refang(defanged) == clean


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("ipv4-addr", "192.168.137.131", "non-global-ip"),
        ("ipv4-addr", "10.0.0.1", "non-global-ip"),
        ("ipv4-addr", "1.1.1.1", "public-resolver-ip"),
        ("ipv4-addr", "20.12.5.3", "version-like-ipv4"),
        ("ipv4-addr", "12.2.1.4", "version-like-ipv4"),
        ("ipv4-addr", "120.0.0.0", "version-like-ipv4"),
        ("ipv4-addr", "999.1.1.1", "invalid-ipv4"),
        ("ipv6-addr", "1201", "invalid-ipv6"),
        ("ipv6-addr", "95", "invalid-ipv6"),
        ("ipv6-addr", "fe80::1", "non-global-ip"),
        ("domain-name", "handle.in", "sentence-fragment-domain"),
        ("domain-name", "reasoning.in", "sentence-fragment-domain"),
        ("domain-name", "onamae.comshare-dns.net", "concatenated-domain"),
        ("domain-name", "chatgpt.com", "reference-site"),
        ("domain-name", "github.com", "reference-site"),
        ("domain-name", "not_a_domain", "invalid-domain"),
        ("domain-name", "foo.notarealtld", "invalid-domain"),
        ("url", "https://example.com", "placeholder-value"),
        ("url", "https://evil.biz/$ENCODED", "placeholder-value"),
        ("url", "evil.biz/path", "invalid-url"),
        ("email-addr", "not-an-email", "invalid-email"),
        ("email-addr", "suco_report@databreaches.net", "reference-site"),  # a news site's inbox
        ("domain-name", "libsynopkg.so", "file-name-domain"),
        ("domain-name", "install.sh", "file-name-domain"),
        ("domain-name", "downloaded.zip", "file-name-domain"),
        ("domain-name", "vm.tf", "file-name-domain"),
        ("domain-name", "u201clibfprint-2-tod-1-broadcom.so", "file-name-domain"),
        ("domain-name", "fraud.read", "closed-tld-domain"),
        ("domain-name", "rootroy.windows", "closed-tld-domain"),
        ("domain-name", "mega.nz", "reference-site"),
        ("domain-name", "oastify.com", "reference-site"),  # Burp Collaborator
        ("domain-name", "meta.ua", "reference-site"),  # a webmail provider
        ("url", "https://go.trendmicro.com/tis/vulnerabilities.html", "reference-site"),
        ("url", "https://talosintelligence.com/talos_file_reputation?s=", "reference-site"),
        ("url", "https://www.cve.org/cverecord?id=cve-2025-4088", "reference-site"),
        ("email-addr", "cna@vuldb.com", "reference-site"),  # a CVE authority's contact
        ("email-addr", "victim@example.com", "placeholder-value"),
        ("email-addr", "matt@contosocorp.onmicrosoft.com", "placeholder-value"),
        ("domain-name", "api.telegram.org", "reference-site"),  # a platform's own host
        ("domain-name", "hans.ns.cloudflare.com", "reference-site"),
        ("domain-name", "trojan-dropper.androidos.agent.sm", "av-verdict-domain"),
        ("domain-name", "w32.d933ec4aaf-90.sbx.tg", "av-verdict-domain"),
        ("domain-name", "ns1.fbi.seized.gov", "government-domain"),
        ("domain-name", "ncsc.gov.uk", "government-domain"),
        ("domain-name", "fromsnort.org", "concatenated-domain"),  # "from snort.org"
        ("domain-name", "ncvefeed.io", "concatenated-domain"),  # a lost "\\n" + cvefeed.io
        ("url", "https://api.nova-blight.top/injections/*app*/*key*", "placeholder-value"),
        ("url", "https://github.com/jylsec/vuldb/blob/main/d-link/x", "reference-site"),
        ("url", "https://www.aikido.dev/blog/shai-hulud-strikes-again", "reference-site"),
        ("url", "http://www.ghacks.net/2026/07/12/microsoft-confirms-windows", "reference-site"),
        ("domain-name", "onwordpress.org", "concatenated-domain"),
        ("domain-name", "packagecom.android.phone", "closed-tld-domain"),
        ("domain-name", "ec2.amazonaws.com", "reference-site"),
    ],
)
def test_junk_values_are_refused_with_their_reason(kind, value, reason):
    assert check_value(kind, canonical_value(kind, value)) == reason


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("ipv4-addr", "45.234.176.202"),
        ("ipv6-addr", "2001:4860:4860::8844"),
        ("domain-name", "qqjon7.oleglp.4mzrly.us"),
        ("domain-name", "Evil-Domain.COM"),
        ("url", "https://sites.google.com/view/brewpage"),
        ("url", "https://github.com/evil/repo/releases/download/x.zip"),
        ("email-addr", "xavpy@njyihuhzhyjumdjenwdsugjsku.us"),
        ("domain-name", "scoala.edu.md"),  # a registry's level, not a Markdown file
        ("domain-name", "mlxya.oss-accelerate.aliyuncs.com"),
        ("url", "http://downloaded.zip/payload"),  # a scheme says it is a host
        ("email-addr", "boroda70@meta.ua"),  # the attacker's address at a webmail provider
        ("url", "https://api.telegram.org/bot8044543455:aag3pt4f/"),  # a stealer's bot
        ("domain-name", "evil.pages.dev"),
        ("domain-name", "account-microsoft.com"),  # a look-alike is an attacker's
        ("domain-name", "mygithub.com"),
        ("url", "https://github.com/helloworm00/hello-world"),  # a worm's repository
        ("url", "https://evil.com/docs/invoice.html"),
        ("url", "http://evil.com/2026/07/payload.exe"),
        ("domain-name", "mybucket.s3.amazonaws.com"),
    ],
)
def test_real_indicators_are_kept(kind, value):
    assert check_value(kind, canonical_value(kind, value)) is None


def test_reference_sites_from_the_report_sources_and_the_operator_list():
    excluded = frozenset({"intel.vendor.io"})
    assert check_value("domain-name", "intel.vendor.io", excluded=excluded) == "reference-site"
    assert check_value("domain-name", "evil.vendor.io", excluded=excluded) is None
    sources = frozenset({"https://news.site.com/article"})
    assert check_value("url", "https://news.site.com/article/", source_urls=sources) == (
        "reference-site"
    )
    assert check_value("url", "https://news.site.com/payload.exe", source_urls=sources) is None


def test_hashes_are_normalised_and_wrong_lengths_refused():
    sha256 = "76b6d36e04e367a2334c445b51e1ecce97e4c614e88dfb4f72b104ca0f31235d"
    sha1 = "bc544f455d7c06c8a1f3446160a6d9a4a8236b11"
    kept, refused = normalise_hashes(
        {"SHA256": sha256.upper(), "sha-1": sha1, "SHA-256-bad": "c" * 63, "MD5": "d" * 31}
    )
    assert kept == {"SHA-256": sha256, "SHA-1": sha1}
    assert refused == 2


def test_the_days_own_source_sites_are_not_imported_as_domains():
    import datetime as dt

    from vigilintel_connector.normalise.stix import normalise_day

    bundle = {
        "type": "bundle",
        "objects": [
            {"type": "threat-actor", "id": "threat-actor--1", "name": "APT-Test",
             "external_references": [{"source_name": "article",
                                      "url": "https://www.news-site.example.org/story/1"}]},
            {"type": "domain-name", "id": "domain-name--1", "value": "news-site.example.org"},
            {"type": "domain-name", "id": "domain-name--2", "value": "evil-c2.example.net"},
        ],
    }  # fmt: skip
    result = normalise_day([bundle], dt.date(2026, 3, 16), ("fr",))
    values = {o.get("value") for o in result.bundle["objects"]}
    assert "news-site.example.org" not in values
    assert "evil-c2.example.net" in values
    assert result.tally.dropped["reference-site"] == 1


def test_punycode_domains_are_checked_against_unicode_suffixes():
    assert check_value("domain-name", "xn--80ak6aa92e.xn--p1ai") is None  # a .рф domain
    assert check_value("domain-name", "evil.xn--zzzz-invalid") == "invalid-domain"


def test_a_unicode_escape_stuck_to_a_value_is_cut_off():
    assert canonical_value("domain-name", "u200bf9999.app") == "f9999.app"
    assert canonical_value("url", "u201chttps://evil.biz/x") == "https://evil.biz/x"


def test_top_sites_are_benign_as_written_not_their_users_pages():
    from vigilintel_connector.resolve.warninglists import benign_list, popular

    assert benign_list("domain-name", "vk.ru") == "tranco10k"
    assert popular("telegram.org") == "tranco10k"
    assert popular("claude-code-cmd.squarespace.com") is None
    assert benign_list("domain-name", "evil.pages.dev") is None


def test_the_next_word_glued_to_a_urls_file_is_cut_off():
    assert (
        canonical_value("url", "http://arkanix.pw/stealer.pyand") == "http://arkanix.pw/stealer.py"
    )
    assert canonical_value("url", "http://ipapi.co/json/and") == "http://ipapi.co/json/"
    assert canonical_value("url", "http://evil.biz/brand") == "http://evil.biz/brand"
    glued = "https://clients.dealer.com/captcha/andhttps://clients.contology.com/captcha/"
    assert canonical_value("url", glued) == "https://clients.dealer.com/captcha/"


def test_example_digests_are_no_hashes():
    example = "a1b2c3d4e5f67890123456789abcdef0123456789abcdef0123456789abcdef0"
    real = "76b6d36e04e367a2334c445b51e1ecce97e4c614e88dfb4f72b104ca0f31235d"
    assert normalise_hashes({"SHA-256": example}) == ({}, 1)
    assert normalise_hashes({"SHA-256": real}) == ({"SHA-256": real}, 0)


def test_a_word_glued_to_another_of_the_days_domains_is_no_domain():
    from vigilintel_connector.normalise.observables import glued_to

    assert glued_to("withsol-coin.xyz", frozenset({"sol-coin.xyz"}))
    assert not glued_to("withsol-coin.xyz", frozenset())
