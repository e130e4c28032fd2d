"""The AWS list prices the cost model uses (us-east-1, USD), each with how it was checked."""

from __future__ import annotations

from typing import Any

from ipamsync_local.bench.fmt import Table

#: us-east-1 list prices, USD. ``verified``: how the figure was checked from here (this machine has
#: no live access to aws.amazon.com; the stored copies of the official pricing pages render their
#: rate tables client-side, so most numbers were cross-checked against third-party summaries).
PRICES_DATE = "2026-11-27"
PRICES: dict[str, dict[str, Any]] = {
    "lambda_request": {
        "usd": 0.20 / 1e6,
        "unit": "request",
        "source": "aws.amazon.com/lambda/pricing",
        "verified": "third-party summaries (2026); official table not readable offline",
    },
    "lambda_gb_s_arm64": {
        "usd": 0.0000133334,
        "unit": "GB-second (arm64, first 7.5 billion GB-s/month)",
        "source": "aws.amazon.com/lambda/pricing",
        "verified": "third-party summaries (2026); official table not readable offline",
    },
    "sfn_express_request": {
        "usd": 1.00 / 1e6,
        "unit": "Express execution",
        "source": "aws.amazon.com/step-functions/pricing",
        "verified": "third-party summary (2026-03); billing rules (100 ms, 64 MB) on the official page",
    },
    "sfn_express_gb_s": {
        "usd": 0.00001667,
        "unit": "GB-second (first 1,000 GB-hours/month; 100 ms and 64 MB increments)",
        "source": "aws.amazon.com/step-functions/pricing",
        "verified": "third-party summary (2026-03); billing rules on the official page",
    },
    "sfn_standard_transition": {
        "usd": 25.0 / 1e6,
        "unit": "state transition (incl. retries; 4,000 free/month)",
        "source": "aws.amazon.com/step-functions/pricing",
        "verified": "third-party summary (2026-03); counting rule on the official page",
    },
    "sqs_fifo_request": {
        "usd": 0.50 / 1e6,
        "unit": "FIFO request (per 64 KB chunk)",
        "source": "aws.amazon.com/sqs/pricing",
        "verified": "third-party summaries (2026-03, 2026-06)",
    },
    "pipes_request": {
        "usd": 0.40 / 1e6,
        "unit": "pipe request (per 64 KB chunk, after filtering)",
        "source": "aws.amazon.com/eventbridge/pricing",
        "verified": "third-party summaries (2026-03, 2026-06)",
    },
    "eventbridge_aws_event": {
        "usd": 0.0,
        "unit": "AWS service event on the default bus (and its delivery to a Lambda target)",
        "source": "aws.amazon.com/eventbridge/pricing",
        "verified": "third-party summaries (2026): AWS service events are free",
    },
    "eventbridge_custom_event": {
        "usd": 1.00 / 1e6,
        "unit": "custom event put on a bus (64 KB chunk): a refresh request, a reconcile's event",
        "source": "aws.amazon.com/eventbridge/pricing",
        "verified": "third-party summaries (2026): $1.00 per million custom events",
    },
    "logs_ingest_gb": {
        "usd": 0.50,
        "unit": "GB ingested (Standard class; vended logs first 10 TB)",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "third-party summaries (2026-06)",
    },
    "logs_ingest_gb_ia": {
        "usd": 0.25,
        "unit": "GB ingested (Infrequent Access class; vended logs first 10 TB)",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "third-party summaries (2026): half the Standard class",
    },
    "logs_store_gb_month": {
        "usd": 0.03,
        "unit": "GB-month archived (billed compressed: the uncompressed size used here is an upper bound)",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "third-party summaries (2026-06)",
    },
    "xray_trace": {
        "usd": 5.00 / 1e6,
        "unit": "trace recorded (100,000 free/month)",
        "source": "aws.amazon.com/xray/pricing",
        "verified": "official page (stored copy, de): 5 USD per million",
    },
    "custom_metric_month": {
        "usd": 0.30,
        "unit": "custom metric per month (first 10,000; EMF metrics count)",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "UNVERIFIED here (list price as commonly published)",
    },
    "alarm_month": {
        "usd": 0.10,
        "unit": "standard-resolution alarm per month",
        "source": "aws.amazon.com/cloudwatch/pricing",
        "verified": "UNVERIFIED here (list price as commonly published)",
    },
    "secret_month": {
        "usd": 0.40,
        "unit": "secret per month (+ $0.05 per 10,000 GetSecretValue, cached 5 min per container)",
        "source": "aws.amazon.com/secrets-manager/pricing",
        "verified": "UNVERIFIED here (list price as commonly published)",
    },
}


def price_table() -> Table:
    """The price table (docs/benchmarks.md)."""
    rows = []
    for key, p in PRICES.items():
        usd = p["usd"]
        per_million = 0 < usd < 1e-4 and not p["unit"].startswith("GB-second")
        rows.append(
            (
                f"`{key}`",
                f"{usd * 1e6:.2f} per million" if per_million else f"{usd:g}",
                p["unit"],
                p["source"],
                p["verified"],
            )
        )
    return Table(("price", "USD", "unit", "source", "checked"), rows)


def price(key: str) -> float:
    return float(PRICES[key]["usd"])
