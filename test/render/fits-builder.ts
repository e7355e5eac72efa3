/** Builds small FITS files for tests: header cards padded to 2880-byte blocks, big-endian data. */
export function buildFits (cards: Record<string, string | number | boolean>, values: number[], bitpix: number): Buffer {
  const lines = [card('SIMPLE', true), card('BITPIX', bitpix)]
  for (const [k, v] of Object.entries(cards)) lines.push(card(k, v))
  lines.push('END'.padEnd(80))
  const header = Buffer.from(pad(lines.join(''), ' '), 'latin1')
  const size = Math.abs(bitpix) / 8
  const data = Buffer.alloc(Math.ceil((values.length * size) / 2880) * 2880)
  values.forEach((v, i) => {
    const at = i * size
    switch (bitpix) {
      case 8: data.writeUInt8(v, at); break
      case 16: data.writeInt16BE(v, at); break
      case 32: data.writeInt32BE(v, at); break
      case 64: data.writeBigInt64BE(BigInt(v), at); break
      case -32: data.writeFloatBE(v, at); break
      case -64: data.writeDoubleBE(v, at); break
      default: throw new Error(`bitpix ${bitpix}`)
    }
  })
  return Buffer.concat([header, data])
}

function card (key: string, value: string | number | boolean): string {
  const text = typeof value === 'boolean' ? (value ? 'T' : 'F') : typeof value === 'number' ? String(value) : `'${value.padEnd(8)}'`
  return `${key.padEnd(8)}= ${text.padStart(20)}`.padEnd(80)
}

function pad (text: string, fill: string): string {
  return text.padEnd(Math.ceil(text.length / 2880) * 2880, fill)
}
