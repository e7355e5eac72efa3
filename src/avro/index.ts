/** Avro for Fink alerts: container files, the schema cache, decoding and item JSON. */
export { AlertDecoder, type DecodedAlert, type KafkaRecord } from './decoder.js'
export { DecodeError, DecodeCode, AvroFileError, type DecodeCodeValue, type MessageLocation } from './decode-error.js'
export { SchemaCache, fingerprint, isVersionKey, type CachedSchema, type SchemaCacheOptions } from './schema-cache.js'
export { itemJson, alertJson, errorItemJson, parseExclude, writerFor, type ItemOptions } from './item-json.js'
export { readAvroFile, parseAvroFile, type AvroFile } from './container-file.js'
export { compileReader, DEFAULT_READ_LIMITS, type BodyReader, type ReadLimits } from './body-reader.js'
export { parseSchema } from './schema-prepare.js'
