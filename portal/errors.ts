import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  ConflictError,
  DuplicateUsernameError,
  InvalidCursorError,
  InvalidInputError,
  NotFoundError,
  PasswordPolicyError,
} from '../storage/catalog/index.js';

/** Every error the portal answers with: `{ error: <HTTP reason>, message: <what to do> }`. */
export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'HTTP reason phrase, e.g. "Not Found"' }),
    message: Type.String({ description: 'What went wrong, for a human' }),
  },
  { description: 'Error answer' },
);

/** Thrown by routes and hooks; the error handler turns it into ErrorSchema JSON. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function statusOf(err: FastifyError | Error): number {
  if (err instanceof DuplicateUsernameError || err instanceof ConflictError) return 409;
  if (err instanceof PasswordPolicyError || err instanceof InvalidInputError || err instanceof InvalidCursorError) return 400;
  if (err instanceof NotFoundError) return 404;
  const code = (err as { statusCode?: unknown; status?: unknown }).statusCode ?? (err as { status?: unknown }).status;
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 500;
}

/** JSON errors for everything, including validation failures and unknown routes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function installErrorHandling(app: FastifyInstance<any, any, any, any, any>): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      return reply.code(400).send({ error: STATUS_CODES[400], message: err.message });
    }
    const status = statusOf(err);
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', message: 'internal error; see the portal log' });
    }
    // Headers an error carries (e.g. Content-Range on 416) belong to the answer.
    const headers = (err as { headers?: Record<string, string> }).headers;
    if (headers && typeof headers === 'object') reply.headers(headers);
    return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', message: err.message });
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: STATUS_CODES[404], message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
