/**
 * Options over a module's DEFAULTS: each default is written once, in the
 * module's DEFAULTS object, and an option the caller passes as `undefined`
 * keeps its default (a plain spread would overwrite it with `undefined`).
 */
export function withDefaults<D extends object, O extends object>(defaults: D, opts: O): D & O {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(opts)) if (value !== undefined) out[key] = value;
  return out as D & O;
}
