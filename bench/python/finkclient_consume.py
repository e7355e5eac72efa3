"""Baseline: Fink's own Python client (fink-client from PyPI) reading the bench topic.

AlertConsumer.consume() decodes every alert with its own logic: the key holds the writer
schema, which fink-client parses again for each message (json.loads + fastavro.parse_schema),
then fastavro.schemaless_reader. Prints one JSON line with the run's figures (epoch ms).
Usage: finkclient_consume.py '{"brokers": ..., "topic": ..., "group": ..., "alerts": N, "timeoutMs": T}'
"""
import json
import sys
import time

from fink_client.consumer import AlertConsumer


def now_ms():
    return time.time() * 1000.0


def main():
    opts = json.loads(sys.argv[1])
    figures = {"alerts": 0, "firstBatch": 0, "startMs": now_ms(), "firstMs": 0, "lastMs": 0, "errors": 0}
    deadline = time.time() + opts["timeoutMs"] / 1000.0
    config = {"bootstrap.servers": opts["brokers"], "group.id": opts["group"]}
    consumer = AlertConsumer([opts["topic"]], config, survey="ztf")
    try:
        while figures["alerts"] < opts["alerts"] and time.time() < deadline:
            alerts = consumer.consume(num_alerts=100, timeout=1.0)
            got = [a for a in alerts if a[1] is not None]
            if not got:
                continue
            at = now_ms()
            if figures["alerts"] == 0:
                figures["firstMs"] = at
                figures["firstBatch"] = len(got)
            figures["alerts"] += len(got)
            figures["lastMs"] = at
    finally:
        consumer.close()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
