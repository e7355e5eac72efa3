import { GatewayError } from '../errors.js'

/**
 * A filter expression that cannot be compiled. `position` is the 0-based index of the character
 * where the mistake was found; routes answer it with 400 (`statusCode` lets Fastify's default
 * error handler do so directly).
 */
export class FilterSyntaxError extends GatewayError {
  readonly position: number
  readonly statusCode = 400

  constructor (message: string, position: number) {
    super('FG_BAD_FILTER', message)
    this.position = position
  }
}
