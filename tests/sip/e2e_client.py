#!/usr/bin/python3
"""An independent SIP client that drives confstated over TCP (docs/SERVER.md).

Python 3 standard library only: its own framing (head up to CRLF CRLF, then
Content-Length bytes), its own parser (start line, headers with the compact
forms of RFC 3261 §7.3.3, folded lines), its own branches, tags and Call-IDs,
and its own RFC 4575 §4.6 merge. Nothing here uses the repository's C++ SIP
or XML code, so a bug there cannot hide a bug in the server.

It acts as a trusted proxy (the server runs with --trusted_peers=127.0.0.1/32)
and asserts each request's user with P-Asserted-Identity (RFC 3325 §9.1): the
user the C3P body's `from` names.

The scenario is the specification's getConference exchange (MS-CONFBAS
4.4.7), built from tests/testdata/seed_scenario:

  1. SERVICE addConference to the focus factory: 200, C3P success, the new
     focus URI from addConference/conference-info/@entity (first without
     P-Asserted-Identity: 403).
  2. INVITE addUser to the focus: 200 with a To tag and Contact; the 200 is
     sent again while the ACK is held back, and no more after the ACK.
  3. SUBSCRIBE Event: conference (plain RFC 6665): 200 with Expires, then a
     NOTIFY with the full document, answered with 200.
  4. INFO getConference with the test certificate, in the join dialog: 202,
     then an INFO from the focus with the C3P response; its element tree
     matches the seed response's (up to a documented difference list), it
     carries the seed INFO's headers and relates to the request as the
     seed's does, code="success", requestId echoed.
  5. openssl recovers both web-join URIs (`openssl cms -decrypt`) and the
     conference key (`openssl pkeyutl -decrypt` of the key blob's
     encryptedKey: its content is empty, the key is its CEK); a second
     response gives the same key and URIs.
  6. Changes (Bob joins, Alice makes Bob presenter, Alice locks the
     conference, Bob leaves with BYE) each reach the subscriber as a partial
     NOTIFY whose version is one more; the merged document equals, after
     canonicalization, the conference-info of a fresh getConference (no
     certificate) after every change.
  D. The rest of docs/SERVER.md's table: a SUBSCRIBE refresh gives full
     state with the next version, a fetch (Expires: 0) full state and then
     terminated;reason=timeout; 405, 489, 404, 415, 481 and 483 where the
     document says.
  H. Hostile input: a 100 MB Content-Length, a message without
     Content-Length and a header that stalls each get their connection
     closed, while other clients (and the subscriber) are served.
  7. On --sigterm_marker: creates the marker file (the test script then
     sends SIGTERM to the server) and expects NOTIFY Subscription-State:
     terminated;reason=deactivated, answers it and sees the connection end.

Exit status 0 when every check passed, 1 with a "FAIL: ..." line otherwise.
Every wait is bounded (at most 5 s each).
"""

import argparse
import base64
import copy
import difflib
import os
import random
import re
import select
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

WAIT = 5.0  # seconds: the longest any single wait may take

CCCP = "urn:ietf:params:xml:ns:cccp"
CI = "urn:ietf:params:xml:ns:conference-info"
CIS = "urn:ietf:params:xml:ns:conference-info-separator"
MSCI = "http://schemas.microsoft.com/rtc/2005/08/confinfoextensions"
# The seed uses msav: and msas: without declaring them (seed README, item
# 3); these are the URIs the focus emits for them.
MSAV = "http://schemas.microsoft.com/rtc/2005/08/avconfinfoextensions"
MSAS = "http://schemas.microsoft.com/rtc/2005/08/asconfinfoextensions"
C3P_TYPE = "application/cccp+xml"
CONFERENCE_INFO_TYPE = "application/conference-info+xml"

ALICE_CONTACT = "sip:alice@contoso.com;opaque=user:epid:HT07tI-f3F-fdDyic8rblwAA;gruu"
BOB = "sip:bob@contoso.com"
BOB_CONTACT = "sip:bob@contoso.com;opaque=user:epid:Bq4xWm9aTz2cVn1pR8sKkQAA;gruu"
BOB_ENDPOINT = "{6F1B3C1E-2D4A-4E7B-9C55-0A1B2C3D4E5F}"
# The focus URI the seed scenario's files name; replaced by the one the
# server assigns.
SEED_FOCUS = "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C"


class TestFailure(Exception):
    pass


class ConnectionClosed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------------------
# SIP messages.

# RFC 3261 §7.3.3 and §20 (plus RFC 3265 o/u, RFC 3515 r, RFC 3892 b).
COMPACT_FORMS = {
    "i": "call-id", "l": "content-length", "f": "from", "t": "to",
    "v": "via", "m": "contact", "c": "content-type", "e": "content-encoding",
    "k": "supported", "s": "subject", "o": "event", "u": "allow-events",
    "r": "refer-to", "b": "referred-by", "x": "session-expires",
}
TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")


def header_key(name):
    name = name.strip().lower()
    return COMPACT_FORMS.get(name, name)


class Message:
    """A parsed SIP message: start line, headers in order, body bytes."""

    def __init__(self, start_line, headers, body, raw=b""):
        self.start_line = start_line
        self.headers = headers  # [(name as written, value)]
        self.body = body
        self.raw = raw
        self.arrival = time.monotonic()
        parts = start_line.split(" ", 2)
        if start_line.startswith("SIP/"):
            check(len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit()
                  and len(parts[1]) == 3, "bad status line: %r" % start_line)
            self.is_request = False
            self.status = int(parts[1])
            self.reason = parts[2] if len(parts) > 2 else ""
            self.method = None
            self.uri = None
        else:
            check(len(parts) == 3 and parts[2] == "SIP/2.0" and TOKEN.match(parts[0]),
                  "bad request line: %r" % start_line)
            self.is_request = True
            self.method, self.uri = parts[0], parts[1]
            self.status = None
            self.reason = None

    def all(self, name):
        key = header_key(name)
        return [v for (n, v) in self.headers if header_key(n) == key]

    def get(self, name):
        values = self.all(name)
        return values[0] if values else None

    def need(self, name):
        value = self.get(name)
        check(value is not None, "%s without %s:\n%s" % (self.summary(), name, self.text()))
        return value

    def cseq(self):
        parts = self.need("CSeq").split()
        check(len(parts) == 2 and parts[0].isdigit(), "bad CSeq %r" % self.get("CSeq"))
        return int(parts[0]), parts[1]

    def vias(self):
        """Every Via value, comma-separated ones split, top first."""
        out = []
        for value in self.all("Via"):
            out.extend(v.strip() for v in value.split(","))
        return out

    def summary(self):
        return self.start_line

    def text(self):
        return self.raw.decode("utf-8", "replace") if self.raw else self.start_line


def parse_head(head):
    """Start line and headers of a head (bytes without the final CRLF CRLF)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TestFailure("message head is not UTF-8: %s" % e)
    lines = text.split("\r\n")
    start_line = lines[0]
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            # A folded line (RFC 3261 §7.3.1) continues the previous value.
            check(headers, "folded line before any header: %r" % line)
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        check(sep and TOKEN.match(name.strip()), "bad header line: %r" % line)
        headers.append((name.strip(), value.strip()))
    return start_line, headers


def name_addr(value):
    """(uri, {param: value}) of a From/To/Contact-like value."""
    value = value.strip()
    if "<" in value:
        start = value.index("<")
        end = value.index(">", start)
        uri, rest = value[start + 1:end], value[end + 1:]
    else:
        uri, _, rest = value.partition(";")
        rest = ";" + rest if rest else ""
    params = {}
    for p in rest.split(";"):
        p = p.strip()
        if p:
            k, _, v = p.partition("=")
            params[k.strip().lower()] = v.strip()
    return uri.strip(), params


def via_branch(via):
    for p in via.split(";")[1:]:
        k, _, v = p.strip().partition("=")
        if k.lower() == "branch":
            return v
    return None


def parse_printed_sip(path):
    """Headers of a SIP message as the specification prints it (LF line
    ends, a no-break space on the blank line): for comparing shapes only."""
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\r\n", "\n")
    lines = text.split("\n")
    start = lines[0]
    headers = []
    for line in lines[1:]:
        if not line.strip() or not line.replace("\u00a0", "").strip():
            break
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return start, headers


# ---------------------------------------------------------------------------
# A connection and the user agent on it.

MAX_HEAD = 64 << 10
MAX_BODY = 8 << 20


class SipStream:
    """Framing on one TCP connection (RFC 3261 §18.3)."""

    def __init__(self, sock, label, transcript):
        self.sock = sock
        self.label = label
        self.transcript = transcript
        self.buffer = b""

    def send(self, data):
        self.transcript.write("--> %s %.3f\n%s\n" % (self.label, time.monotonic(),
                                                   data.decode("utf-8", "replace")))
        self.transcript.flush()
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more bytes; False on timeout; ConnectionClosed at EOF."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            raise ConnectionClosed("%s: connection reset" % self.label)
        if not data:
            raise ConnectionClosed("%s: connection closed by the server" % self.label)
        self.buffer += data
        return True

    def read_message(self, deadline):
        """The next message, or None at the deadline."""
        while True:
            # CRLFs between messages: keep-alive pings/pongs (RFC 5626 §3.5.1).
            while self.buffer.startswith(b"\r\n"):
                self.buffer = self.buffer[2:]
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                check(len(self.buffer) <= MAX_HEAD,
                      "%s: head over %d bytes without CRLF CRLF" % (self.label, MAX_HEAD))
                if not self._fill(deadline):
                    return None
                continue
            start_line, headers = parse_head(self.buffer[:end])
            probe = Message(start_line, headers, b"")
            lengths = probe.all("Content-Length")
            check(len(lengths) == 1,
                  "%s: server message %r has %d Content-Length headers (RFC 3261 "
                  "§18.3: required on a stream)" % (self.label, start_line, len(lengths)))
            check(lengths[0].isdigit() and int(lengths[0]) <= MAX_BODY,
                  "%s: bad Content-Length %r" % (self.label, lengths[0]))
            total = end + 4 + int(lengths[0])
            while len(self.buffer) < total:
                if not self._fill(deadline):
                    return None
            raw, self.buffer = self.buffer[:total], self.buffer[total:]
            message = Message(start_line, headers, raw[end + 4:], raw)
            self.transcript.write("<-- %s %.3f\n%s\n" % (self.label, message.arrival,
                                                       raw.decode("utf-8", "replace")))
            self.transcript.flush()
            return message


def new_token(n=16):
    return "%0*x" % (n, random.getrandbits(4 * n))


class UserAgent:
    """One user's client on one connection. Answers the server's requests
    (NOTIFY, INFO) with 200 as they arrive and keeps them, in order."""

    def __init__(self, port, user, contact, label, transcript):
        sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.local = "%s:%d" % sock.getsockname()[:2]
        self.stream = SipStream(sock, label, transcript)
        self.user = user
        self.contact = contact
        self.label = label
        self.requests = []   # server requests, answered
        self.responses = []  # responses not yet taken
        self.sent = {}       # Via branch -> the request we sent

    # Sending.

    def request(self, method, uri, call_id, cseq, from_tag, to_uri, to_tag=None,
                body=b"", content_type=None, extra=(), assert_identity=True,
                compact=False, max_forwards=70):
        """Sends a request (P-Asserted-Identity: this user unless told not
        to; compact header names if told to); returns its Via branch."""
        branch = "z9hG4bK" + new_token()
        names = {"Via": "Via", "From": "From", "To": "To", "Call-ID": "Call-ID",
                 "Contact": "Contact", "Content-Type": "Content-Type",
                 "Content-Length": "Content-Length", "Event": "Event"}
        if compact:
            names = {"Via": "v", "From": "f", "To": "t", "Call-ID": "i",
                     "Contact": "m", "Content-Type": "c", "Content-Length": "l",
                     "Event": "o"}
        lines = [
            "%s %s SIP/2.0" % (method, uri),
            "%s: SIP/2.0/TCP %s;branch=%s;rport" % (names["Via"], self.local, branch),
            "Max-Forwards: %d" % max_forwards,
            "%s: <%s>;tag=%s;epid=%s" % (names["From"], self.user, from_tag, self.label),
            "%s: <%s>%s" % (names["To"], to_uri, ";tag=" + to_tag if to_tag else ""),
            "%s: %s" % (names["Call-ID"], call_id),
            "CSeq: %d %s" % (cseq, method),
            "%s: <%s>" % (names["Contact"], self.contact),
            "User-Agent: confstate-e2e-client/1.0",
        ]
        if assert_identity:
            lines.append("P-Asserted-Identity: <%s>" % self.user)
        for name, value in extra:
            lines.append("%s: %s" % (names.get(name, name), value))
        if content_type:
            lines.append("%s: %s" % (names["Content-Type"], content_type))
        lines.append("%s: %d" % (names["Content-Length"], len(body)))
        head = "\r\n".join(lines)
        self.sent[branch] = Message(*parse_head(head.encode()), body)
        self.stream.send((head + "\r\n\r\n").encode() + body)
        return branch

    def answer(self, request, status=200, reason="OK"):
        """A response echoing Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6)."""
        lines = ["SIP/2.0 %d %s" % (status, reason)]
        for via in request.all("Via"):
            lines.append("Via: " + via)
        for name in ("From", "To", "Call-ID", "CSeq"):
            lines.append("%s: %s" % (name, request.need(name)))
        lines.append("Content-Length: 0")
        self.stream.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    # Receiving.

    def _dispatch(self, message):
        if not message.is_request:
            self.responses.append(message)
            return
        check(message.method != "ACK", "%s: the server sent an ACK" % self.label)
        self.answer(message)
        self.requests.append(message)

    def pump(self, seconds):
        """Reads and handles everything that arrives for `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            message = self.stream.read_message(deadline)
            if message is None:
                return
            self._dispatch(message)

    def wait_response(self, branch, what, final=True, timeout=WAIT):
        """The next (final) response of the transaction `branch`."""
        deadline = time.monotonic() + timeout
        while True:
            for i, r in enumerate(self.responses):
                vias = r.vias()
                if vias and via_branch(vias[0]) == branch and (not final or r.status >= 200):
                    del self.responses[i]
                    return r
            message = self.stream.read_message(deadline)
            if message is None:
                raise TestFailure("%s: no %sresponse to %s within %.1f s" %
                                  (self.label, "final " if final else "", what, timeout))
            self._dispatch(message)

    def wait_request(self, predicate, what, timeout=WAIT, start=0):
        """The first server request from index `start` on that matches."""
        deadline = time.monotonic() + timeout
        while True:
            for i in range(start, len(self.requests)):
                if predicate(self.requests[i]):
                    return i, self.requests[i]
            message = self.stream.read_message(deadline)
            if message is None:
                raise TestFailure("%s: no %s within %.1f s" % (self.label, what, timeout))
            self._dispatch(message)

    def expect_eof(self, what, timeout=WAIT):
        """The server closes the connection within `timeout`; what it sends
        before must be complete messages."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                message = self.stream.read_message(deadline)
                if message is None:
                    raise TestFailure("%s: %s: still open after %.1f s"
                                      % (self.label, what, timeout))
                self._dispatch(message)
        except ConnectionClosed:
            left = self.stream.buffer.strip(b"\r\n")
            check(not left, "%s: %s: closed inside a message: %r" % (self.label, what, left[:80]))

    def close(self):
        try:
            self.stream.sock.close()
        except OSError:
            pass


def check_response(response, branch, call_id, cseq, method, from_tag, what):
    """The response echoes our Via branch, Call-ID, CSeq and From tag."""
    check(response.get("Call-ID") == call_id,
          "%s: Call-ID %r, sent %r" % (what, response.get("Call-ID"), call_id))
    check(response.cseq() == (cseq, method),
          "%s: CSeq %r, sent %d %s" % (what, response.get("CSeq"), cseq, method))
    check(name_addr(response.need("From"))[1].get("tag") == from_tag,
          "%s: From %r lost our tag %s" % (what, response.get("From"), from_tag))
    check(via_branch(response.vias()[0]) == branch, "%s: Via branch not echoed" % what)


def expect_status(response, status, what):
    check(response.status == status,
          "%s: expected %d, got %d %s\n%s" % (what, status, response.status, response.reason,
                                               response.text()))


# ---------------------------------------------------------------------------
# C3P and conference-info documents.

def q(ns, local):
    return "{%s}%s" % (ns, local)


def read_request_file(path):
    """A seed scenario request: its `# as:` user and its XML body."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    user = None
    lines = text.split("\n")
    while lines and lines[0].startswith("#"):
        m = re.match(r"#\s*as:\s*(\S+)", lines[0])
        if m:
            user = m.group(1)
        lines.pop(0)
    body = "\n".join(lines).strip() + "\n"
    root = parse_xml(body.encode(), path)
    check(root.tag == q(CCCP, "request"), "%s: root is %s" % (path, root.tag))
    check(user is None or root.get("from") == user,
          "%s: `# as: %s` but from=%r" % (path, user, root.get("from")))
    return root.get("from"), body


def parse_xml(data, what):
    try:
        return ET.fromstring(data)
    except ET.ParseError as e:
        raise TestFailure("%s is not well-formed XML (%s):\n%s" %
                          (what, e, data.decode("utf-8", "replace")[:2000]))


def c3p_response(body, request_id, command, what):
    """The <response> root of a C3P body, checked: code success, requestId
    echoed, one child named like the command."""
    root = parse_xml(body, what)
    check(root.tag == q(CCCP, "response"), "%s: root is %s, not cccp response" % (what, root.tag))
    check(root.get("code") == "success",
          "%s: code=%r, not success:\n%s" % (what, root.get("code"), body.decode()))
    check(root.get("requestId") == request_id,
          "%s: requestId=%r, sent %r" % (what, root.get("requestId"), request_id))
    children = list(root)
    check(len(children) == 1 and children[0].tag == q(CCCP, command),
          "%s: children %s, want one cccp %s" % (what, [c.tag for c in children], command))
    return root


def c3p_request(request_id, user, focus, command, inner):
    return ('<request xmlns="%s" xmlns:ci="%s" C3PVersion="1" requestId="%s" '
            'from="%s" to="%s"><%s><%s</%s></request>\n' %
            (CCCP, CI, request_id, user, focus, command, inner, command)).encode()


def state_of(element):
    return element.get("state") or element.get(q(CI, "state"))


def key_of(element):
    """The RFC 4575 §4.5 key (PROTOCOL.md §3.4) of a keyed element, or None
    for an atomic one."""
    if element.tag in (q(CI, "user"), q(CI, "endpoint"), q(MSCI, "entity-view")):
        return element.get("entity", "")
    if element.tag == q(CI, "media"):
        return element.get("id", "")
    if element.tag == q(CI, "entry"):
        if "entity" in element.attrib:
            return element.get("entity")  # sidebars-by-val
        uri = element.find(q(CI, "uri"))
        if uri is not None:
            return (uri.text or "").strip()  # uris-type entries
    return None


def merge(existing, incoming):
    """RFC 4575 §4.6: merges a `partial` element into its current value."""
    existing.attrib.clear()
    existing.attrib.update(incoming.attrib)
    for child in incoming:
        state = state_of(child) or "full"
        check(state in ("full", "partial", "deleted"), "bad state %r on %s" % (state, child.tag))
        key = key_of(child)
        match = None
        for i, e in enumerate(list(existing)):
            if e.tag == child.tag and key_of(e) == key:
                match = i
                break
        if state == "deleted":
            if match is not None:
                del existing[match]
        elif state == "partial" and match is not None:
            merge(existing[match], child)
        elif match is not None:
            existing[match] = copy.deepcopy(child)
        else:
            existing.append(copy.deepcopy(child))


class Subscriber:
    """RFC 4575 §4.6 subscriber state: a full document, then partial ones
    whose versions rise by exactly one."""

    def __init__(self):
        self.document = None
        self.version = None
        self.deleted = False
        self.history = []  # (version, root state) of every document applied

    def apply(self, body, what):
        root = parse_xml(body, what)
        check(root.tag == q(CI, "conference-info"), "%s: root is %s" % (what, root.tag))
        state = root.get("state", "full")
        version = root.get("version")
        check(version is not None and version.isdigit(), "%s: bad version %r" % (what, version))
        version = int(version)
        if self.version is not None:
            check(version == self.version + 1,
                  "%s: version %d after %d (must rise by exactly one)" % (what, version,
                                                                         self.version))
        if state == "full":
            self.document = root
        elif state == "deleted":
            self.deleted = True
        else:
            check(state == "partial", "%s: bad root state %r" % (what, state))
            check(self.document is not None, "%s: partial before any full document" % what)
            merge(self.document, root)
        self.version = version
        self.history.append((version, state))
        return root


def canonical(element, ignore=("version", "state", q(CI, "state")), depth=0):
    """Namespaces resolved, attributes sorted (version and state dropped),
    text stripped, children sorted: one element per line for diffs."""
    attrs = " ".join('%s="%s"' % (k, v) for k, v in sorted(element.attrib.items())
                     if k not in ignore)
    text = (element.text or "").strip()
    children = sorted(canonical(c, ignore, depth + 1) for c in element)
    head = "  " * depth + "<%s%s>%s" % (element.tag, " " + attrs if attrs else "", text)
    return "\n".join([head] + children)


def element_paths(root):
    """Every element path (expanded names) and attribute name under it."""
    out = set()

    def walk(element, prefix):
        path = prefix + "/" + element.tag
        out.add(path)
        for name in element.attrib:
            out.add(path + "/@" + name)
        for child in element:
            walk(child, path)

    walk(root, "")
    return out


def short(path):
    for ns, prefix in ((CCCP, ""), (CI, "ci:"), (MSCI, "msci:"), (CIS, "cis:"),
                       (MSAV, "msav:"), (MSAS, "msas:")):
        path = path.replace("{%s}" % ns, prefix)
    return path


def load_seed_response(path):
    """The seed's normalized getConference response, made well-formed as its
    README says was intended: cccp for response/getConference and
    conference-info for conference-info and its children (item 2),
    Microsoft's namespace URIs (item 4), msav/msas declared (item 3)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    fixed = text.replace('xmlns="urn:ietf:params:xml:ns:conference-info"', "", 1)
    check(fixed != text, "seed response: no second xmlns to remove")
    fixed = fixed.replace("<conference-info", '<conference-info xmlns="%s"' % CI, 1)
    fixed = fixed.replace("http://schemas.fabrikam.com/", "http://schemas.microsoft.com/")
    fixed = fixed.replace("xmlns:ci=",
                          'xmlns:msav="%s" xmlns:msas="%s" xmlns:ci=' % (MSAV, MSAS), 1)
    return parse_xml(fixed.encode(), path)


# Where the focus's getConference response differs in shape from the
# specification's example, and why (checked both ways: every other element
# path of either document must be in the other).
_INFO = "/response/getConference/ci:conference-info"
SEED_ONLY_PATHS = {
    # The meeting MCU's application GUID on its entity-state: the focus
    # hosts no meeting application.
    _INFO + "/msci:conference-view/msci:entity-view/msci:entity-state/@application",
}
FOCUS_ONLY_PATHS = {
    # The conference id addConference was given (msci:conference-id, as in
    # the addConference request's description).
    _INFO + "/ci:conference-description/msci:conference-id",
    # RFC 4575 §5.5 conference-state, which the example leaves out.
    _INFO + "/ci:conference-state",
    _INFO + "/ci:conference-state/ci:user-count",
    _INFO + "/ci:conference-state/ci:active",
    _INFO + "/ci:conference-state/ci:locked",
    # RFC 4575 §5.7.3: how the endpoint joined (dialed-in, by its INVITE).
    _INFO + "/ci:users/ci:user/ci:endpoint/ci:joining-method",
    # The MS lobby (empty here), with the partial-state attribute.
    _INFO + "/msci:lobby",
    _INFO + "/msci:lobby/@ci:state",
}


# ---------------------------------------------------------------------------
# The scenario.

class Scenario:
    def __init__(self, args):
        self.args = args
        os.makedirs(args.out, exist_ok=True)
        self.transcript = open(os.path.join(args.out, "transcript.txt"), "w", encoding="utf-8")
        self.focus = None
        self.alice = None
        self.alice_user = None
        self.join = None  # Alice's join dialog
        self.subscription = None
        self.subscriber = Subscriber()
        self.notify_index = 0  # the next NOTIFY not yet applied
        self.next_request_id = 100

    def out(self, name):
        return os.path.join(self.args.out, name)

    def data(self, name):
        return os.path.join(self.args.data, name)

    def request_id(self):
        self.next_request_id += 1
        return str(self.next_request_id)

    # -- 1 ------------------------------------------------------------------

    def step1_add_conference(self):
        user, body = read_request_file(self.data("1_addConference.xml"))
        self.alice_user = user
        root = parse_xml(body.encode(), "1_addConference.xml")
        factory = root.get("to")
        check(factory.endswith(";gruu;opaque=app:conf:focusfactory"), "factory URI %r" % factory)
        self.alice = UserAgent(self.args.port, user, ALICE_CONTACT, "alice", self.transcript)
        a = self.alice

        # A trusted peer that asserts nobody vouches for no one: 403.
        call_id, tag = new_token(24), new_token(8)
        branch = a.request("SERVICE", factory, call_id, 1, tag, factory, body=body.encode(),
                           content_type=C3P_TYPE, assert_identity=False)
        r = a.wait_response(branch, "SERVICE without P-Asserted-Identity")
        expect_status(r, 403, "SERVICE from a trusted peer without P-Asserted-Identity")

        call_id, tag = new_token(24), new_token(8)
        branch = a.request("SERVICE", factory, call_id, 1, tag, factory, body=body.encode(),
                           content_type=C3P_TYPE)
        r = a.wait_response(branch, "SERVICE addConference")
        expect_status(r, 200, "SERVICE addConference")
        check_response(r, branch, call_id, 1, "SERVICE", tag, "SERVICE addConference")
        check((r.get("Content-Type") or "").lower() == C3P_TYPE,
              "SERVICE 200 Content-Type %r" % r.get("Content-Type"))
        response = c3p_response(r.body, root.get("requestId"), "addConference", "addConference")
        info = response.find(q(CCCP, "addConference") + "/" + q(CI, "conference-info"))
        check(info is not None, "addConference response without conference-info:\n%s" % r.body)
        self.focus = info.get("entity", "")
        conference_id = root.find(".//" + q(MSCI, "conference-id")).text.strip()
        check(self.focus == "%s;gruu;opaque=app:conf:focus:id:%s" % (user, conference_id),
              "focus URI %r: not the organizer's focus for conference id %s"
              % (self.focus, conference_id))
        check(response.get("from") == factory and response.get("to") == user,
              "addConference response from=%r to=%r" % (response.get("from"), response.get("to")))
        log("step 1 ok: 403 without an asserted identity; addConference -> %s" % self.focus)

    # -- 2 ------------------------------------------------------------------

    def step2_join(self):
        a = self.alice
        user, body = read_request_file(self.data("2_addUser.xml"))
        check(user == self.alice_user, "2_addUser.xml is not Alice's")
        # The file names the seed's focus URI in `to` and confEntity.
        body = body.replace(SEED_FOCUS, self.focus)
        root = parse_xml(body.encode(), "2_addUser.xml")
        call_id, tag = new_token(24), new_token(8)
        self.join = {"call_id": call_id, "tag": tag, "cseq": 1}
        branch = a.request("INVITE", self.focus, call_id, 1, tag, self.focus,
                           body=body.encode(), content_type=C3P_TYPE,
                           extra=[("Supported", "ms-sender")])
        r = a.wait_response(branch, "INVITE addUser")
        expect_status(r, 200, "INVITE addUser")
        check_response(r, branch, call_id, 1, "INVITE", tag, "INVITE 200")
        to_tag = name_addr(r.need("To"))[1].get("tag")
        check(to_tag, "INVITE 200 without a To tag: %r" % r.get("To"))
        contact = name_addr(r.need("Contact"))[0]
        check(contact == self.focus, "INVITE 200 Contact %r, want the focus URI" % contact)
        self.join.update(to_tag=to_tag, target=contact)
        response = c3p_response(r.body, root.get("requestId"), "addUser", "addUser")
        users = response.findall(".//" + q(CI, "user"))
        check(len(users) == 1 and users[0].get("entity") == user,
              "addUser response users %s" % [u.get("entity") for u in users])

        # No ACK yet: the 200 comes again at T1 = 0.5 s (RFC 3261 §13.3.1.4).
        again = a.wait_response(branch, "INVITE 200 retransmission", timeout=2.0)
        delay = again.arrival - r.arrival
        expect_status(again, 200, "INVITE 200 retransmission")
        check(0.4 <= delay < 1.5,
              "first 200 retransmission after %.2f s, want about 0.5 s" % delay)
        check(again.raw == r.raw, "the retransmitted 200 differs from the first")

        # ACK for a 2xx: its own transaction, to the Contact (RFC 3261 §13.2.2.4).
        a.request("ACK", contact, call_id, 1, tag, self.focus, to_tag=to_tag)
        acked = time.monotonic()
        # Unacknowledged, the next copies would come at 1.5 s and 3.5 s
        # after the first 200; wait past the first of them.
        a.pump(max(0.0, (r.arrival + 2.0) - time.monotonic()))
        late = [m for m in a.responses if m.vias() and via_branch(m.vias()[0]) == branch]
        check(not late, "the 200 was sent again %.2f s after the ACK" %
              (late[0].arrival - acked if late else 0))
        log("step 2 ok: INVITE 200 (tag %s, Contact = focus), resent after %.2f s "
            "without ACK, not after the ACK (watched %.1f s)"
            % (to_tag, delay, time.monotonic() - acked))

    # -- 3 ------------------------------------------------------------------

    def step3_subscribe(self):
        a = self.alice
        call_id, tag = new_token(24), new_token(8)
        branch = a.request("SUBSCRIBE", self.focus, call_id, 1, tag, self.focus,
                           extra=[("Event", "conference"), ("Accept", CONFERENCE_INFO_TYPE),
                                  ("Expires", "600")])
        r = a.wait_response(branch, "SUBSCRIBE")
        expect_status(r, 200, "SUBSCRIBE")
        check_response(r, branch, call_id, 1, "SUBSCRIBE", tag, "SUBSCRIBE 200")
        expires = r.get("Expires")
        check(expires is not None and expires.isdigit() and 0 < int(expires) <= 600,
              "SUBSCRIBE 200 Expires %r" % expires)
        to_tag = name_addr(r.need("To"))[1].get("tag")
        check(to_tag, "SUBSCRIBE 200 without a To tag")
        check(not r.body, "SUBSCRIBE 200 without ms-benotify carries a body")
        self.subscription = {"call_id": call_id, "tag": tag, "to_tag": to_tag}
        notify = self.next_notify("the first NOTIFY")
        state = notify.need("Subscription-State")
        check(state.startswith("active"), "first NOTIFY Subscription-State %r" % state)
        root = parse_xml(notify.body, "first NOTIFY")
        check(root.get("state", "full") == "full", "first NOTIFY is not full state")
        check(root.get("entity") == self.focus, "first NOTIFY entity %r" % root.get("entity"))
        for path in ("conference-description", "users"):
            check(root.find(q(CI, path)) is not None, "first NOTIFY without %s" % path)
        users = [u.get("entity") for u in root.iter(q(CI, "user"))]
        check(users == [self.alice_user], "first NOTIFY users %s" % users)
        log("step 3 ok: SUBSCRIBE 200 (Expires %s), NOTIFY full version %s, users %s"
            % (expires, root.get("version"), users))

    def next_notify(self, what):
        """The next NOTIFY of the subscription, checked and applied."""
        sub = self.subscription
        i, notify = self.alice.wait_request(lambda m: m.method == "NOTIFY", what,
                                            start=self.notify_index)
        self.notify_index = i + 1
        check(notify.get("Call-ID") == sub["call_id"],
              "%s: Call-ID %r" % (what, notify.get("Call-ID")))
        check(name_addr(notify.need("From"))[1].get("tag") == sub["to_tag"],
              "%s: From tag is not the 200's To tag" % what)
        check(name_addr(notify.need("To"))[1].get("tag") == sub["tag"],
              "%s: To lost our tag" % what)
        check(notify.uri == ALICE_CONTACT,
              "%s: Request-URI %r is not our Contact" % (what, notify.uri))
        check((notify.get("Event") or "").split(";")[0].strip() == "conference",
              "%s: Event %r" % (what, notify.get("Event")))
        if notify.body:
            check((notify.get("Content-Type") or "").lower() == CONFERENCE_INFO_TYPE,
                  "%s: Content-Type %r" % (what, notify.get("Content-Type")))
            self.subscriber.apply(notify.body, what)
        return notify

    # -- 4 ------------------------------------------------------------------

    def info(self, body, what):
        """INFO in Alice's join dialog: 202, then the focus's INFO with the
        C3P response (answered with 200). Returns that INFO."""
        a, d = self.alice, self.join
        d["cseq"] += 1
        start = len(a.requests)
        branch = a.request("INFO", d["target"], d["call_id"], d["cseq"], d["tag"], self.focus,
                           to_tag=d["to_tag"], body=body, content_type=C3P_TYPE)
        r = a.wait_response(branch, what)
        expect_status(r, 202, what)
        check_response(r, branch, d["call_id"], d["cseq"], "INFO", d["tag"], what)
        check(name_addr(r.need("To"))[1].get("tag") == d["to_tag"],
              "%s: 202 changed the To tag" % what)
        _, answer = a.wait_request(lambda m: m.method == "INFO",
                                   "INFO with the response to " + what, start=start)
        check(answer.get("Call-ID") == d["call_id"], "%s: response INFO in another dialog" % what)
        check(name_addr(answer.need("From"))[0] == self.focus and
              name_addr(answer.need("From"))[1].get("tag") == d["to_tag"],
              "%s: response INFO From %r" % (what, answer.get("From")))
        check(name_addr(answer.need("To"))[1].get("tag") == d["tag"],
              "%s: response INFO To %r lost our tag" % (what, answer.get("To")))
        check(answer.get("To") == a.sent[branch].get("From"),
              "%s: response INFO To %r is not our From %r" % (what, answer.get("To"),
                                                              a.sent[branch].get("From")))
        check(answer.uri == ALICE_CONTACT, "%s: response INFO Request-URI %r" % (what, answer.uri))
        check((answer.get("Content-Type") or "").lower() == C3P_TYPE,
              "%s: response INFO Content-Type %r" % (what, answer.get("Content-Type")))
        self.last_info = (a.sent[branch], answer)
        return answer

    def step4_get_conference(self):
        user, body = read_request_file(self.data("3_getConference.xml"))
        check(user == self.alice_user, "3_getConference.xml is not Alice's")
        body = body.replace(SEED_FOCUS, self.focus)
        request = parse_xml(body.encode(), "3_getConference.xml")
        answer = self.info(body.encode(), "INFO getConference")
        response = c3p_response(answer.body, request.get("requestId"), "getConference",
                                "getConference response")
        check(response.get("from", "").strip() == self.focus and response.get("to") == user,
              "getConference response from=%r to=%r" % (response.get("from"), response.get("to")))
        with open(self.out("getConference.response.xml"), "wb") as f:
            f.write(answer.body)

        # Its SIP shape is the seed's: the response INFO carries every header
        # of the seed's but the NTLM Authentication-Info, and relates to the
        # request as the seed's does (same Call-ID, To = the request's From,
        # From = the request's To URI with the dialog's tag).
        if self.args.seed_sip:
            seed = os.path.join(self.args.seed_sip, "getConference.%s.sip")
            start, seed_answer = parse_printed_sip(seed % "response")
            _, seed_request = parse_printed_sip(seed % "request")
            check(start.startswith("INFO "), "the seed's response is not an INFO")
            seed_answer = Message("INFO sip:x SIP/2.0", seed_answer, b"")
            seed_request = Message("INFO sip:x SIP/2.0", seed_request, b"")
            got = {header_key(n) for (n, _) in answer.headers}
            want = {header_key(n) for (n, _) in seed_answer.headers} - {"authentication-info"}
            check(want <= got, "response INFO lacks the seed's headers %s" % sorted(want - got))
            sent, _ = self.last_info
            relations = [
                ("Call-ID", "Call-ID", lambda v: v),
                ("To", "From", lambda v: v),
                ("From", "To", lambda v: name_addr(v)[0].lower()),
            ]
            for answer_header, request_header, value in relations:
                check(value(seed_answer.need(answer_header)) ==
                      value(seed_request.need(request_header)),
                      "the seed's INFOs do not relate by %s/%s" % (answer_header, request_header))
                check(value(answer.need(answer_header)) == value(sent.need(request_header)),
                      "response INFO %s %r, but the request's %s is %r (as in the seed, they "
                      "must match)" % (answer_header, answer.get(answer_header), request_header,
                                       sent.get(request_header)))

        # Element paths against the seed's (values ignored: they are this
        # instance's).
        seed = load_seed_response(self.args.seed_response)
        ours, theirs = element_paths(response), element_paths(seed)
        seed_only = {short(p) for p in theirs - ours} - SEED_ONLY_PATHS
        focus_only = {short(p) for p in ours - theirs} - FOCUS_ONLY_PATHS
        check(not seed_only and not focus_only,
              "getConference response shape differs from the seed's:\n  only in the seed: %s\n"
              "  only in the response: %s" % ("\n    ".join([""] + sorted(seed_only)),
                                               "\n    ".join([""] + sorted(focus_only))))
        stale = (SEED_ONLY_PATHS - {short(p) for p in theirs - ours}) | (
            FOCUS_ONLY_PATHS - {short(p) for p in ours - theirs})
        check(not stale, "documented differences no longer differ: %s" % sorted(stale))
        self.get_conference_response = response
        log("step 4 ok: INFO 202, response INFO with code=success requestId=%s; %d element/"
            "attribute paths match the seed's (documented: %d seed-only, %d focus-only)"
            % (request.get("requestId"), len(ours & theirs), len(SEED_ONLY_PATHS),
               len(FOCUS_ONLY_PATHS)))

    # -- 5 ------------------------------------------------------------------

    def blobs(self, response):
        """(web-internal, web-external, conference key) cms-data as DER."""
        info = response.find(q(CCCP, "getConference") + "/" + q(CI, "conference-info"))
        description = info.find(q(CI, "conference-description"))
        uris = {}
        for entry in description.iter(q(CI, "entry")):
            purpose = (entry.findtext(q(CI, "purpose")) or "").strip()
            if purpose.startswith("web-"):
                check(entry.findtext(q(CI, "uri")).strip() ==
                      "http://schemas.microsoft.com/2008/05/confxmlenc#content",
                      "%s entry: uri is not the encrypted-content marker" % purpose)
                cms = entry.find(q(MSCI, "encrypted-uri") + "/" + q(MSCI, "cms-data"))
                check(cms is not None,
                      "%s entry without msci:encrypted-uri/msci:cms-data" % purpose)
                uris[purpose] = cms.text
        check(set(uris) == {"web-internal", "web-external"}, "web-join entries: %s" % sorted(uris))
        key = description.find(q(MSCI, "conference-key") + "/" + q(MSCI, "cms-data"))
        check(key is not None, "no msci:conference-key/msci:cms-data")
        out = []
        for name, b64 in (("web-internal", uris["web-internal"]),
                          ("web-external", uris["web-external"]), ("conference-key", key.text)):
            try:
                out.append(base64.b64decode("".join((b64 or "").split()), validate=True))
            except ValueError as e:
                raise TestFailure("%s cms-data is not base64: %s" % (name, e))
        return out

    def openssl(self, args, what):
        p = subprocess.run(["openssl"] + args, capture_output=True, timeout=WAIT)
        check(p.returncode == 0, "openssl %s (%s) failed: %s"
              % (" ".join(args), what, p.stderr.decode("utf-8", "replace")))
        return p.stdout

    def decrypt_all(self, response, tag):
        key_pem, cert_pem = self.data("test_key.pem"), self.data("test_cert.pem")
        plain = []
        internal, external, conference_key = self.blobs(response)
        for name, der in (("web-internal", internal), ("web-external", external)):
            path = self.out("%s.%s.der" % (tag, name))
            with open(path, "wb") as f:
                f.write(der)
            uri = self.openssl(["cms", "-decrypt", "-inform", "DER", "-in", path,
                                "-recip", cert_pem, "-inkey", key_pem], name).decode()
            plain.append(uri)
        # The key blob's encrypted content is empty (so `openssl cms
        # -decrypt` has no block to decrypt and fails): the key is the CEK in
        # its KeyTransRecipientInfo, addressed to our certificate, which
        # pkeyutl recovers from encryptedKey.
        path = self.out("%s.conference-key.der" % tag)
        with open(path, "wb") as f:
            f.write(conference_key)
        encrypted_key, serial, algorithm = key_trans_recipient(conference_key)
        ours = self.openssl(["x509", "-noout", "-serial", "-in", cert_pem], "serial")
        check(ours.decode().strip().split("=")[1].lower() == serial.hex(),
              "the conference key is addressed to serial %s, not to our certificate's %s"
              % (serial.hex(), ours.decode().strip()))
        check(algorithm == DES_EDE3_CBC,
              "conference key content algorithm %s, want des-ede3-cbc" % algorithm)
        with open(path + ".encrypted_key", "wb") as f:
            f.write(encrypted_key)
        key = self.openssl(["pkeyutl", "-decrypt", "-inkey", key_pem, "-in",
                            path + ".encrypted_key"], "conference key")
        check(len(key) == 24, "conference key is %d bytes, want 24 (3DES)" % len(key))
        plain.append(key)
        return plain

    def step5_openssl(self):
        internal, external, key = self.decrypt_all(self.get_conference_response, "first")
        conference_id = self.focus.rsplit(":", 1)[1]
        for name, uri in (("web-internal", internal), ("web-external", external)):
            parsed = urllib.parse.urlsplit(uri)
            check(parsed.scheme == "https" and parsed.netloc and uri == uri.strip()
                  and conference_id in parsed.path,
                  "%s decrypts to %r, not an https URL naming conference %s"
                  % (name, uri, conference_id))
        check(internal != external, "web-internal and web-external are the same URL")
        # A second response holds the same secrets (its blobs may be the
        # first's: docs/CRYPTO.md, "Pool and cache").
        _, body = read_request_file(self.data("3_getConference.xml"))
        body = body.replace(SEED_FOCUS, self.focus).replace('requestId="5"', 'requestId="%s"'
                                                            % self.request_id())
        request = parse_xml(body.encode(), "second getConference")
        answer = self.info(body.encode(), "second INFO getConference")
        response = c3p_response(answer.body, request.get("requestId"), "getConference",
                                "second getConference")
        again = self.decrypt_all(response, "second")
        check(again == [internal, external, key],
              "a second getConference gave other secrets: %r" % again[:2])
        log("step 5 ok: openssl: web-internal %s, web-external %s, 24-byte conference key %s...; "
            "the same from a second response" % (internal, external, key.hex()[:8]))

    # -- 6 ------------------------------------------------------------------

    def fresh_document(self):
        body = c3p_request(self.request_id(), self.alice_user, self.focus, "getConference",
                           'conferenceKeys confEntity="%s"/>' % self.focus)
        answer = self.info(body, "INFO getConference without certificate")
        response = c3p_response(answer.body, parse_xml(body, "").get("requestId"),
                                "getConference", "getConference without certificate")
        info = response.find(q(CCCP, "getConference") + "/" + q(CI, "conference-info"))
        check(info is not None, "getConference response without conference-info")
        check(info.find(".//" + q(MSCI, "conference-key")) is None,
              "getConference without a certificate returned the conference key")
        return info

    def compare(self, change):
        """The merged subscriber document equals a fresh getConference's."""
        fresh = canonical(self.fresh_document())
        merged = canonical(self.subscriber.document)
        if fresh != merged:
            diff = "\n".join(difflib.unified_diff(merged.split("\n"), fresh.split("\n"),
                                                  "merged NOTIFYs", "getConference", lineterm=""))
            raise TestFailure("after %s the merged NOTIFY document differs from getConference:\n%s"
                              % (change, diff))

    def change(self, what, action):
        """Runs `action`, expects exactly one partial NOTIFY for it."""
        before = self.subscriber.version
        action()
        notify = self.next_notify("NOTIFY after " + what)
        version, state = self.subscriber.history[-1]
        check(state == "partial", "NOTIFY after %s has state %s, want partial" % (what, state))
        check(version == before + 1, "NOTIFY after %s: version %d" % (what, version))
        # Nothing else for this change.
        self.alice.pump(0.2)
        extra = [m for m in self.alice.requests[self.notify_index:] if m.method == "NOTIFY"]
        check(not extra, "%d more NOTIFYs after %s" % (len(extra), what))
        self.compare(what)
        with open(self.out("notify.v%d.xml" % version), "wb") as f:
            f.write(notify.body)
        return notify

    def step6_merge(self):
        self.compare("the first NOTIFY")
        changes = []

        # Bob joins from another connection.
        _, template = read_request_file(self.data("2_addUser.xml"))
        bob_body = (template.replace(SEED_FOCUS, self.focus)
                    .replace('requestId="2"', 'requestId="%s"' % self.request_id())
                    .replace('from="%s"' % self.alice_user, 'from="%s"' % BOB)
                    .replace('entity="%s"' % self.alice_user, 'entity="%s"' % BOB)
                    .replace("Alice Gates", "Bob Kelly")
                    .replace("<entry>presenter</entry>", "<entry>attendee</entry>"))
        # A client names its endpoint by its GUID; the focus takes the rest
        # from the SIP layer (Contact).
        bob_body = re.sub(r'<endpoint [^>]*>', '<endpoint entity="%s">' % BOB_ENDPOINT, bob_body)
        check(BOB in bob_body and "Bob Kelly" in bob_body
              and self.alice_user + '"' not in bob_body,
              "could not make Bob's addUser from 2_addUser.xml")
        self.bob = UserAgent(self.args.port, BOB, BOB_CONTACT, "bob", self.transcript)
        bob_join = {"call_id": new_token(24), "tag": new_token(8)}

        def bob_joins():
            b = self.bob
            branch = b.request("INVITE", self.focus, bob_join["call_id"], 1, bob_join["tag"],
                               self.focus, body=bob_body.encode(), content_type=C3P_TYPE)
            r = b.wait_response(branch, "Bob's INVITE")
            expect_status(r, 200, "Bob's INVITE addUser")
            bob_join["to_tag"] = name_addr(r.need("To"))[1].get("tag")
            b.request("ACK", name_addr(r.need("Contact"))[0], bob_join["call_id"], 1,
                      bob_join["tag"], self.focus, to_tag=bob_join["to_tag"])

        notify = self.change("Bob's join", bob_joins)
        user = self.find_user(notify, BOB)
        check(user is not None and (state_of(user) or "full") == "full",
              "the NOTIFY for Bob's join does not carry his user in full")
        check(BOB in self.user_entities(), "Bob not in the merged roster")
        changes.append("join")

        def promote():
            body = c3p_request(self.request_id(), self.alice_user, self.focus,
                               "modifyUserRoles",
                               'userKeys confEntity="%s" userEntity="%s"/><ci:user-roles>'
                               "<ci:entry>presenter</ci:entry></ci:user-roles>"
                               % (self.focus, BOB))
            answer = self.info(body, "INFO modifyUserRoles")
            c3p_response(answer.body, parse_xml(body, "").get("requestId"), "modifyUserRoles",
                         "modifyUserRoles")

        self.change("Bob's promotion", promote)
        roles = [e.text for e in self.user_of(BOB).iter(q(CI, "entry"))]
        check("presenter" in roles, "Bob's merged roles %s" % roles)
        changes.append("modifyUserRoles")

        def lock():
            body = c3p_request(self.request_id(), self.alice_user, self.focus,
                               "modifyConferenceLock",
                               'conferenceKeys confEntity="%s"/><locked>true</locked>'
                               % self.focus)
            answer = self.info(body, "INFO modifyConferenceLock")
            c3p_response(answer.body, parse_xml(body, "").get("requestId"),
                         "modifyConferenceLock", "modifyConferenceLock")

        self.change("the lock", lock)
        locks = [(v.get("entity"), (v.findtext(q(MSCI, "entity-state") + "/" + q(MSCI, "locked"))
                                    or "").strip())
                 for v in self.subscriber.document.iter(q(MSCI, "entity-view"))]
        check(any(flag == "true" for _, flag in locks),
              "no entity-view is locked after the lock: %s" % locks)
        changes.append("modifyConferenceLock")

        def bob_leaves():
            b = self.bob
            branch = b.request("BYE", self.focus, bob_join["call_id"], 2, bob_join["tag"],
                               self.focus, to_tag=bob_join["to_tag"])
            expect_status(b.wait_response(branch, "Bob's BYE"), 200, "Bob's BYE")

        notify = self.change("Bob's BYE", bob_leaves)
        user = self.find_user(notify, BOB)
        check(user is not None and state_of(user) == "deleted",
              "the NOTIFY for Bob's BYE does not delete his user")
        check(self.user_entities() == [self.alice_user],
              "roster after BYE: %s" % self.user_entities())
        changes.append("BYE")
        self.bob.close()
        log("step 6 ok: %d partial NOTIFYs (versions %s) merged; after each change the merge "
            "equals getConference's conference-info (canonicalized)"
            % (len(changes), [v for v, _ in self.subscriber.history]))

    def find_user(self, notify, entity):
        root = parse_xml(notify.body, "NOTIFY")
        for u in root.iter(q(CI, "user")):
            if u.get("entity") == entity:
                return u
        return None

    def user_of(self, entity):
        for u in self.subscriber.document.iter(q(CI, "user")):
            if u.get("entity") == entity:
                return u
        raise TestFailure("no user %s in the merged document" % entity)

    def user_entities(self):
        return sorted(u.get("entity") for u in self.subscriber.document.iter(q(CI, "user")))

    # -- the rest of docs/SERVER.md's table ---------------------------------

    def documented_answers(self):
        """What docs/SERVER.md promises for requests the scenario does not
        make: a subscription refresh and a fetch, and the failure codes."""
        a, sub = self.alice, self.subscription

        # A refresh in the dialog: 200, then full state, the versions going on.
        before = self.subscriber.version
        branch = a.request("SUBSCRIBE", self.focus, sub["call_id"], 2, sub["tag"], self.focus,
                           to_tag=sub["to_tag"], extra=[("Event", "conference"),
                                                        ("Accept", CONFERENCE_INFO_TYPE),
                                                        ("Expires", "600")])
        expect_status(a.wait_response(branch, "SUBSCRIBE refresh"), 200, "SUBSCRIBE refresh")
        self.next_notify("NOTIFY after the refresh")
        version, state = self.subscriber.history[-1]
        check(state == "full" and version == before + 1,
              "NOTIFY after the refresh: %s version %d, want full version %d"
              % (state, version, before + 1))
        self.compare("the refresh")

        # Another connection of Alice's for the rest.
        c = UserAgent(self.args.port, self.alice_user, ALICE_CONTACT, "alice2", self.transcript)
        # A fetch (RFC 6665 §4.4.3): the current state, then the end.
        call_id, tag = new_token(24), new_token(8)
        branch = c.request("SUBSCRIBE", self.focus, call_id, 1, tag, self.focus,
                           extra=[("Event", "conference"), ("Expires", "0")])
        expect_status(c.wait_response(branch, "SUBSCRIBE Expires: 0"), 200, "SUBSCRIBE Expires: 0")
        _, full = c.wait_request(lambda m: m.method == "NOTIFY", "NOTIFY for the fetch")
        check(parse_xml(full.body, "fetch NOTIFY").get("state", "full") == "full",
              "fetch: the first NOTIFY is not full state")
        _, last = c.wait_request(lambda m: m.method == "NOTIFY" and m is not full,
                                 "the fetch's terminating NOTIFY")
        check(re.sub(r"\s+", "", last.need("Subscription-State")) == "terminated;reason=timeout",
              "fetch: Subscription-State %r, want terminated;reason=timeout"
              % last.get("Subscription-State"))

        missing = self.focus.rsplit(":", 1)[0] + ":NOSUCHCONF1"
        cases = [
            # (what, method, uri, to tag, extra headers, content type, body,
            #  max-forwards, status, header the answer must carry)
            ("an unknown method", "PUBLISH", self.focus, None, [], None, b"", 70, 405, "Allow"),
            ("another event package", "SUBSCRIBE", self.focus, None,
             [("Event", "presence")], None, b"", 70, 489, "Allow-Events"),
            ("a subscription to no conference", "SUBSCRIBE", missing, None,
             [("Event", "conference")], None, b"", 70, 404, None),
            ("C3P that is not application/cccp+xml", "SERVICE", self.focus, None, [],
             "text/plain", b"hello", 70, 415, "Accept"),
            ("an INFO in an unknown dialog", "INFO", self.focus, "nosuchtag", [], C3P_TYPE,
             c3p_request("900", self.alice_user, self.focus, "getConference",
                         'conferenceKeys confEntity="%s"/>' % self.focus), 70, 481, None),
            ("Max-Forwards: 0", "INFO", self.focus, None, [], C3P_TYPE,
             c3p_request("901", self.alice_user, self.focus, "getConference",
                         'conferenceKeys confEntity="%s"/>' % self.focus), 0, 483, None),
        ]
        for what, method, uri, to_tag, extra, ctype, body, hops, status, header in cases:
            call_id, tag = new_token(24), new_token(8)
            branch = c.request(method, uri, call_id, 1, tag, uri, to_tag=to_tag, extra=extra,
                               content_type=ctype, body=body, max_forwards=hops)
            r = c.wait_response(branch, what)
            expect_status(r, status, what)
            check_response(r, branch, call_id, 1, method, tag, what)
            check(header is None or r.get(header), "%d for %s without %s" % (status, what, header))
        check(not [m for m in c.requests if m.method == "INFO"],
              "a refused INFO was answered with a C3P INFO")
        c.close()
        log("documented answers ok: refresh -> full NOTIFY version %d; fetch -> full NOTIFY, then "
            "terminated;reason=timeout; %s" % (version, ", ".join(
                "%s %d" % (case[1], case[8]) for case in cases)))

    # -- hostile input ------------------------------------------------------

    def options_ok(self, agent, what):
        call_id, tag = new_token(24), new_token(8)
        started = time.monotonic()
        branch = agent.request("OPTIONS", self.focus, call_id, 1, tag, self.focus,
                               assert_identity=False, compact=True)
        r = agent.wait_response(branch, what)
        expect_status(r, 200, what)
        check_response(r, branch, call_id, 1, "OPTIONS", tag, what)
        for header in ("Allow", "Accept", "Allow-Events", "Supported"):
            check(r.get(header), "%s: 200 without %s" % (what, header))
        check("conference" in r.get("Allow-Events"), "%s: Allow-Events %r" % (what,
                                                                            r.get("Allow-Events")))
        return time.monotonic() - started

    def raw_connection(self, label):
        return UserAgent(self.args.port, "sip:mallory@contoso.com",
                         "sip:mallory@127.0.0.1", label, self.transcript)

    def expect_closed(self, agent, what):
        """Closed (after a 4xx at most) within 5 s."""
        agent.expect_eof(what)
        for r in agent.responses:
            check(400 <= r.status < 500, "%s: answered %d %s before closing" % (what, r.status,
                                                                               r.reason))
        return [r.status for r in agent.responses]

    def hostile(self):
        """Hostile input gets its own connection closed, no one else's."""
        results = []

        def after(statuses):
            return " after %s" % statuses if statuses else " without a response"

        head = ("OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK%s\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:mallory@contoso.com>;tag=1\r\nTo: <%s>\r\n"
                "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\n" % (self.focus, new_token(), self.focus,
                                                        new_token()))

        # A 100 MB Content-Length: refused without waiting for the body.
        big = self.raw_connection("big")
        try:
            big.stream.send((head + "Content-Length: 104857600\r\n\r\n").encode() + b"x" * 65536)
        except OSError:
            pass  # already closed by the server
        statuses = self.expect_closed(big, "100 MB Content-Length")
        big.close()
        self.options_ok(self.raw_connection("after-big"),
                        "OPTIONS after the 100 MB Content-Length")
        results.append("100 MB Content-Length: closed" + after(statuses))

        # No Content-Length: on a stream its end cannot be known.
        bare = self.raw_connection("no-length")
        bare.stream.send((head + "\r\n").encode())
        statuses = self.expect_closed(bare, "message without Content-Length")
        bare.close()
        results.append("no Content-Length: closed" + after(statuses))

        # Half a header, then nothing: others are served meanwhile, and the
        # server drops it at --message_deadline (1 s).
        slow = self.raw_connection("slow")
        slow.stream.send(head[:len(head) // 2].encode())
        stalled = time.monotonic()
        latency = self.options_ok(self.raw_connection("beside-slow"),
                                  "OPTIONS while another connection stalls")
        # Closed, it would be readable (at its end).
        still_open = not select.select([slow.stream.sock], [], [], 0)[0]
        check(still_open, "OPTIONS answered only %.2f s later, once the stalled connection "
              "was closed" % latency)
        slow.expect_eof("stalled half header", timeout=WAIT)
        closed_after = time.monotonic() - stalled
        check(closed_after >= 0.8, "the stalled connection closed after %.2f s, before the "
              "1 s deadline" % closed_after)
        slow.close()
        results.append("stalled header: another client served in %.3f s, closed after %.2f s"
                       % (latency, closed_after))

        # The subscriber's connection still works (and its subscription: the
        # drain below).
        self.options_ok(self.alice, "OPTIONS on the subscriber's connection")
        if self.args.admin_port:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.args.admin_port,
                                        timeout=WAIT) as r:
                metrics = r.read().decode()
            m = re.search(r"^confstated_connections_closed_deadline\S* (\S+)$", metrics, re.M)
            check(m and float(m.group(1)) >= 1,
                  "metrics: confstated_connections_closed_deadline %s" % (m and m.group(1)))
        log("hostile ok: " + "; ".join(results))

    # -- 7 ------------------------------------------------------------------

    def step7_drain(self):
        a = self.alice
        a.pump(0.1)
        start = len(a.requests)
        with open(self.args.sigterm_marker, "w") as f:
            f.write("subscribed\n")
        # The script sends SIGTERM once it sees the marker.
        _, notify = a.wait_request(lambda m: m.method == "NOTIFY", "NOTIFY after SIGTERM",
                                   start=start)
        with open(self.out("terminating_notify.txt"), "wb") as f:
            f.write(notify.raw)
        state = notify.need("Subscription-State")
        check(re.sub(r"\s+", "", state).lower() == "terminated;reason=deactivated",
              "NOTIFY after SIGTERM: Subscription-State %r" % state)
        check(notify.get("Call-ID") == self.subscription["call_id"],
              "terminating NOTIFY in another dialog")
        check(not notify.body, "terminating NOTIFY carries a body")
        a.expect_eof("after the drain")
        a.close()
        log("step 7 ok: NOTIFY Subscription-State: %s, then the connection closed" % state)


def key_trans_recipient(der):
    """encryptedKey and the recipient's certificate serial number of the
    first KeyTransRecipientInfo of a CMS EnvelopedData ContentInfo (RFC 5652
    §6.1, §6.2.1), and the content encryption algorithm's OID."""

    def tlv(data, pos):
        tag = data[pos]
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(data[pos:pos + n], "big")
            pos += n
        return tag, data[pos:pos + length], pos + length

    def children(data):
        out, pos = [], 0
        while pos < len(data):
            tag, value, pos = tlv(data, pos)
            out.append((tag, value))
        return out

    try:
        tag, content_info, _ = tlv(der, 0)
        oid, explicit = children(content_info)[:2]
        check(oid[1] == ENVELOPED_DATA, "not an EnvelopedData ContentInfo")
        (_, enveloped), = children(explicit[1])
        fields = children(enveloped)
        recipients = children(fields[1][1])
        check(fields[1][0] == 0x31 and recipients, "no recipientInfos")
        ktri = children(recipients[0][1])
        check(ktri[0] == (0x02, b"\x00"), "not a KeyTransRecipientInfo (version 0)")
        check(ktri[1][0] == 0x30, "the recipient is not an IssuerAndSerialNumber")
        serial = children(ktri[1][1])[1]
        check(serial[0] == 0x02, "no serial number in the recipient")
        encrypted_key = ktri[3]
        check(encrypted_key[0] == 0x04, "encryptedKey is not an OCTET STRING")
        algorithm = children(children(fields[2][1])[1][1])[0][1]
        return encrypted_key[1], serial[1].lstrip(b"\x00"), algorithm
    except (IndexError, ValueError) as e:
        raise TestFailure("conference key blob is not the CMS we expect: %r" % e)


ENVELOPED_DATA = bytes.fromhex("2a864886f70d010703")  # 1.2.840.113549.1.7.3
DES_EDE3_CBC = bytes.fromhex("2a864886f70d0307")      # 1.2.840.113549.3.7


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="confstated's SIP TCP port")
    parser.add_argument("--admin_port", type=int, default=0)
    parser.add_argument("--data", required=True, help="tests/testdata/seed_scenario")
    parser.add_argument("--seed_response", required=True,
                        help="the seed's getConference.response.normalized.xml")
    parser.add_argument("--seed_sip", default="", help="../shared/testdata/seed (the .sip files)")
    parser.add_argument("--out", required=True, help="a directory for the transcript and blobs")
    parser.add_argument("--sigterm_marker", default="",
                        help="created when the server should get SIGTERM; then step 7 runs")
    args = parser.parse_args()
    random.seed()
    scenario = Scenario(args)
    started = time.monotonic()
    try:
        scenario.step1_add_conference()
        scenario.step2_join()
        scenario.step3_subscribe()
        scenario.step4_get_conference()
        scenario.step5_openssl()
        scenario.step6_merge()
        scenario.documented_answers()
        scenario.hostile()
        if args.sigterm_marker:
            scenario.step7_drain()
    except (TestFailure, ConnectionClosed, OSError, subprocess.SubprocessError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
        print("(SIP transcript: %s)" % scenario.out("transcript.txt"), file=sys.stderr)
        return 1
    log("client PASS in %.1f s" % (time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
