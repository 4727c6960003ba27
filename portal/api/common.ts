import { Type, type TSchema } from '@sinclair/typebox';
import { ErrorSchema } from '../errors.js';

/** A string enum as one JSON-schema `enum` (one readable validation error, a dropdown in the docs). */
export function StringEnum<T extends string[]>(values: [...T], options: { default?: T[number]; description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options });
}

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

/** Error answers a route may give, for its `response` schema. */
export function errors<const C extends number[]>(...codes: C) {
  return Object.fromEntries(codes.map((c) => [c, ErrorSchema])) as { [K in C[number]]: typeof ErrorSchema };
}
