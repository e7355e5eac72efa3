/**
 * Decoding: µs per alert for the gateway's decoder against JSON.parse of the same alert's
 * JSON. The measurement itself is bench/decode.ts (the Avro engineer's runDecodeBench());
 * this only runs it and records what it returns, or why it could not run.
 */
export async function decodeCase (): Promise<{ result?: unknown, error?: string }> {
  // a variable specifier: the module is another engineer's and may not exist yet
  const specifier = '../decode.js'
  try {
    const module = await import(specifier) as { runDecodeBench?: () => unknown }
    if (typeof module.runDecodeBench !== 'function') return { error: 'bench/decode.ts exports no runDecodeBench()' }
    return { result: await module.runDecodeBench() }
  } catch (err) {
    return { error: `runDecodeBench(): ${(err as Error).message}` }
  }
}
