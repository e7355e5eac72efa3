/** GET /schemas/{id}: a writer schema the gateway has seen (the `schema` id of items), as JSON. */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { BadParameter, NotFound } from '../errors.js'

const SCHEMA_ID = /^[A-Za-z0-9_-]{1,128}$/

const schemasRoutes: FastifyPluginAsync = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/schemas/:id', {
    schema: {
      summary: 'A writer schema the gateway has seen, by the id items carry in "schema"',
      tags: ['schemas'],
      params: Type.Object({ id: Type.String() }),
      response: {
        200: Type.Object({}, { additionalProperties: true, description: 'The Avro schema (JSON)' }),
        400: Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() }),
        404: Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })
      }
    }
  }, async (request, reply) => {
    const { id } = request.params
    if (!SCHEMA_ID.test(id)) throw new BadParameter(`${JSON.stringify(id)} is not a schema id; use the "schema" value of an item`)
    const schema = fastify.decoder.cache.byId(id)
    if (schema === undefined) throw new NotFound(`schema ${id} has not been seen by this gateway (ids come from the "schema" of items it served)`)
    return reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=86400, immutable').send(schema.text as never)
  })
}

export default schemasRoutes
