/*
 * The few errors the service raises on purpose. The HTTP layer maps them to status codes in one place
 * (src/http/errors.ts) by class, never by message text.
 */

/** A request for something we do not publish (unknown language, category, feed or page). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** A request we understood but refuse: a bad query parameter names itself in `param`. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** Environment or configuration file that cannot be used; `keys` names every variable or field involved. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly keys: readonly string[],
  ) {
    super(message);
  }
}

/** One problem in one content file: the file (relative to CONTENT_DIR) and the field at fault. */
export interface ContentProblem {
  file: string;
  field: string | null;
  message: string;
}

/** The content tree is invalid; every problem found is listed, not only the first. */
export class ContentError extends Error {
  override readonly name = 'ContentError';
  constructor(readonly problems: readonly ContentProblem[]) {
    super(
      `invalid content (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.file}${p.field ? ` [${p.field}]` : ''}: ${p.message}`).join('\n'),
    );
  }
}
