/** Why a body is not a feed we accept. The message says what and, where it can, where (line and column). */
export class ParseError extends Error {
  override readonly name = 'ParseError';
}

/** "line L, column C" (1-based) of an offset in `text`, for error messages. */
export function positionOf(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}
