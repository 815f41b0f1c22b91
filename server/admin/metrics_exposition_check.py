"""Parses a metrics_sample rendering with Debian's prometheus_client.

usage: /usr/bin/python3 metrics_exposition_check.py FILE

Fails unless FILE holds exactly metrics_sample's families, in order, with
their types, help texts, label values and sample values. The parser is
independent of ours: a name, label or escape it reads differently shows up
as a mismatch or as an extra "untyped" family.
"""

import sys

from prometheus_client.parser import text_string_to_metric_families

HISTOGRAM = "c3p_request_duration_seconds"
ADD_USER = {"op": "addUser"}

# family name -> (type, help, [(sample name, labels, value)])
EXPECTED = [
    ("sip_requests", "counter", "SIP requests by method and outcome.", [
        ("sip_requests_total", {"method": "INFO", "outcome": "success"}, 3),
        ("sip_requests_total", {"method": "INFO", "outcome": "failure"}, 1),
    ]),
    ("label_escapes", "counter", "Help with \\ backslash\nand newline.", [
        ("label_escapes_total", {"value": 'quote" backslash\\ newline\n'}, 1),
    ]),
    ("temperature_celsius", "gauge", "A gauge.", [
        ("temperature_celsius", {}, -2.5),
    ]),
    ("sip_connections_open", "gauge", "Open connections.", [
        ("sip_connections_open", {}, 7),
    ]),
    (HISTOGRAM, "histogram", "C3P latency.", [
        (HISTOGRAM + "_bucket", dict(ADD_USER, le="0.25"), 2),
        (HISTOGRAM + "_bucket", dict(ADD_USER, le="0.5"), 3),
        (HISTOGRAM + "_bucket", dict(ADD_USER, le="1"), 3),
        (HISTOGRAM + "_bucket", dict(ADD_USER, le="+Inf"), 4),
        (HISTOGRAM + "_sum", ADD_USER, 2.875),
        (HISTOGRAM + "_count", ADD_USER, 4),
    ]),
]


def main(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    got = [(family.name, family.type, family.documentation,
            [(s.name, s.labels, s.value) for s in family.samples])
           for family in text_string_to_metric_families(text)]
    if got != EXPECTED:
        print("parsed:  ", got, "\nexpected:", EXPECTED, sep="\n",
              file=sys.stderr)
        return 1
    print("ok: %d families parsed as expected from %s" % (len(got), path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
