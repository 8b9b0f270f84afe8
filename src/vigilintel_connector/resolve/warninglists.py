"""Values the MISP warning lists know as benign: they stay observables but never indicators.

An LLM reading the news lists the sites an article mentions among its "IoCs": vendor blogs,
URL shorteners, public resolvers, universities, banks. The lists chosen are those whose entries
are benign by nature; the large popularity rankings are left out (a popular site can be
compromised), but for the thousand most visited names (Cisco's top 1000). Tranco's top 10,000
sites are read as written, for bare domains and a URL's host: "vk.ru" is a social network and
"https://telegram.org/js/telegram-widget.js" its script, while "x.workers.dev" or
"claude-code-cmd.squarespace.com" can be an attacker's.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from vigilintel_connector.resolve.catalogs import warninglist

CHOSEN = (
    "empty-hashes", "common-ioc-false-positive", "rfc6761", "public-dns-v4", "public-dns-v6",
    "url-shortener", "security-provider-blogpost", "whats-my-ip", "university_domains",
    "bank-website", "cisco_top1000",
)  # fmt: skip


@dataclass
class _Index:
    exact: dict[str, str] = field(default_factory=dict)  # value → list name
    suffixes: dict[str, str] = field(default_factory=dict)  # host suffix → list name
    networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = field(
        default_factory=list
    )


@lru_cache(maxsize=1)
def _index() -> _Index:
    index = _Index()
    for name in CHOSEN:
        data = warninglist(name)
        if data is None:
            continue
        kind = data.get("type")
        for entry in data.get("list") or []:
            value = str(entry).strip().lower()
            if kind == "cidr" and "/" in value:
                try:
                    index.networks.append((ipaddress.ip_network(value, strict=False), name))
                except ValueError:
                    continue
            elif kind == "hostname":
                index.suffixes.setdefault(value.lstrip("."), name)
            else:
                index.exact.setdefault(value, name)
    return index


@lru_cache(maxsize=1)
def _popular() -> frozenset[str]:
    data = warninglist("tranco10k")
    return frozenset(str(e).strip().lower() for e in (data or {}).get("list") or [])


def popular(domain: str) -> str | None:
    """ "tranco10k" when ``domain``, exactly as written, is one of the most visited sites."""
    return "tranco10k" if domain.lower() in _popular() else None


# Top sites whose hosts and pages are their users' (a Google Sites page, a Squarespace site, an
# Azure VM, a bucket): there an attacker can publish, so a page or host under them stays an IoC.
USER_CONTENT = frozenset(
    {
        "sites.google.com", "docs.google.com", "drive.google.com", "script.google.com",
        "storage.googleapis.com", "firebasestorage.googleapis.com", "googleusercontent.com",
        "github.com", "raw.githubusercontent.com", "gist.github.com", "gitlab.com",
        "bitbucket.org", "pastebin.com", "dropbox.com", "dropboxusercontent.com",
        "onedrive.live.com", "1drv.ms", "sharepoint.com", "mega.nz", "mediafire.com",
        "discord.com", "discordapp.com", "t.me", "telegra.ph", "api.telegram.org",
        "notion.site", "wordpress.com", "weebly.com", "wixsite.com", "squarespace.com",
        "webflow.io", "azure.com", "windows.net", "azureedge.net", "amazonaws.com",
        "cloudfront.net", "aliyuncs.com", "force.com", "herokuapp.com", "firebaseapp.com",
        "web.app", "appspot.com", "ngrok.io", "ngrok-free.app", "trycloudflare.com",
        "workers.dev", "pages.dev", "r2.dev", "vercel.app", "netlify.app", "glitch.me",
        "replit.dev", "huggingface.co", "gofile.io", "catbox.moe", "forms.gle",
        "000webhostapp.com", "godaddysites.com", "blogspot.com", "linktr.ee", "bit.ly",
    }
)  # fmt: skip


def users_host(host: str, registered: str) -> bool:
    """A host its users publish on ("sites.google.com", "x.squarespace.com"), under the domain
    it is ``registered`` under."""
    return host.lower().removeprefix("www.") in USER_CONTENT or registered in USER_CONTENT


def popular_host(host: str, registered: str) -> str | None:
    """The top site list that knows ``host`` as a top site's own ("gemini.google.com",
    "code.claude.ai"): the host itself, or one registered under a top site not its users'."""
    if users_host(host, registered):
        return None
    return popular(host.lower().removeprefix("www.")) or popular(registered)


def _host_list(host: str, index: _Index) -> str | None:
    if host in index.exact:
        return index.exact[host]
    labels = host.split(".")
    for start in range(len(labels) - 1):
        listed = index.suffixes.get(".".join(labels[start:]))
        if listed:
            return listed
    return None


def benign_list(kind: str, value: str) -> str | None:
    """The chosen warning list that knows ``value`` (an observable of STIX type ``kind``, or a
    hash), or None."""
    index = _index()
    value = value.strip().lower()
    if kind == "domain-name":
        return _host_list(value, index) or popular(value)
    if kind == "url":
        try:
            host = (urlsplit(value).hostname or "").lower()
        except ValueError:
            return None
        return _host_list(host, index) if host else None
    if kind in ("ipv4-addr", "ipv6-addr"):
        if value in index.exact:
            return index.exact[value]
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return None
        return next((n for net, n in index.networks if address in net), None)
    return index.exact.get(value)
