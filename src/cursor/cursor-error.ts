import { GatewayError } from '../errors.js'

/** A resume cursor that cannot be used; routes answer it with 400 (`statusCode` lets Fastify do so). */
export class CursorError extends GatewayError {
  readonly statusCode = 400

  constructor (message: string) {
    super('FG_BAD_CURSOR', message)
  }
}
