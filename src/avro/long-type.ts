import avsc from 'avsc'

/**
 * Avro `long` as a JavaScript bigint, so 64-bit ids (`candid`, `diaSourceId`) keep every digit.
 * Registered for every schema the cache parses; our own reader (body-reader.ts) produces
 * bigints directly, this makes the avsc Type agree with those values (isValid, toBuffer).
 */
export const BigIntLongType = avsc.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64LE(BigInt(n), 0)
    return buf
  },
  fromJSON: (json: unknown) => BigInt(json as string | number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' && BigInt.asIntN(64, n) === n,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1)
})
