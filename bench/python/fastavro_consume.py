"""Fallback baseline when fink-client cannot run: confluent-kafka + fastavro, each distinct
writer schema (the message key) parsed once and cached. Same output as finkclient_consume.py.
"""
import io
import json
import sys
import time

import confluent_kafka
import fastavro


def now_ms():
    return time.time() * 1000.0


def main():
    opts = json.loads(sys.argv[1])
    figures = {"alerts": 0, "firstBatch": 0, "startMs": now_ms(), "firstMs": 0, "lastMs": 0, "errors": 0}
    deadline = time.time() + opts["timeoutMs"] / 1000.0
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": opts["brokers"],
        "group.id": opts["group"],
        "auto.offset.reset": "earliest",
    })
    consumer.subscribe([opts["topic"]])
    schemas = {}
    try:
        while figures["alerts"] < opts["alerts"] and time.time() < deadline:
            messages = consumer.consume(100, timeout=1.0)
            decoded = 0
            for msg in messages:
                if msg.error():
                    figures["errors"] += 1
                    continue
                key = msg.key()
                schema = schemas.get(key)
                if schema is None:
                    schema = fastavro.parse_schema(json.loads(key))
                    schemas[key] = schema
                fastavro.schemaless_reader(io.BytesIO(msg.value()), schema)
                decoded += 1
            if decoded == 0:
                continue
            at = now_ms()
            if figures["alerts"] == 0:
                figures["firstMs"] = at
                figures["firstBatch"] = decoded
            figures["alerts"] += decoded
            figures["lastMs"] = at
    finally:
        consumer.close()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
