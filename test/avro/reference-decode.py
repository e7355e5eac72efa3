"""Apache Avro's reference decoder (Debian python3-avro), printing each record of a container
file as one JSON line in the gateway's normal form: bytes as base64, NaN and infinities as
null, longs with every digit. Run with /usr/bin/python3 (the one with python3-avro)."""
import base64
import gzip
import io
import json
import math
import sys

import avro.datafile
import avro.io
import avro.schema


def normal(value):
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode('ascii')
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def without_logical_types(schema):
    if isinstance(schema, dict):
        return {k: without_logical_types(v) for k, v in schema.items() if k != 'logicalType'}
    if isinstance(schema, list):
        return [without_logical_types(v) for v in schema]
    return schema


def main(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    reader = avro.datafile.DataFileReader(io.BytesIO(data), avro.io.DatumReader())
    # Logical types as their underlying Avro values (a timestamp-micros as its integer).
    schema = json.loads(reader.get_meta('avro.schema').decode('utf-8'))
    reader.datum_reader.writers_schema = avro.schema.parse(json.dumps(without_logical_types(schema)))
    out = sys.stdout
    for record in reader:
        out.write(json.dumps(normal(record), allow_nan=False))
        out.write('\n')
    reader.close()


if __name__ == '__main__':
    main(sys.argv[1])
