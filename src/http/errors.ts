import type { ErrorRequestHandler } from 'express';
import { BadRequestError, NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The one place errors become HTTP statuses: a short plain-text message, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  // Express takes a handler for an error handler only if it declares four parameters, so `_next` stays.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- see above
  return (err: unknown, req, res, _next) => {
    let status = 500;
    let message = 'Internal Server Error: the error was logged';
    if (err instanceof NotFoundError) {
      status = 404;
      message = `Not Found: ${err.message}`;
    } else if (err instanceof BadRequestError) {
      status = 400;
      message = `Bad Request: ${err.message}`;
    } else if (typeof err === 'object' && err !== null && 'status' in err && err.status === 400) {
      // Express signals an undecodable URL this way.
      status = 400;
      message = 'Bad Request: the request URL is not validly percent-encoded';
    } else if (typeof err === 'object' && err !== null && 'type' in err && err.type === 'entity.too.large') {
      // body-parser over its route's limit: a push to a WebSub callback (FETCH_MAX_BYTES), a POST /websub.
      status = 413;
      message = 'Content Too Large: the request body is over its limit';
    } else {
      logger.error({ err, path: req.path, method: req.method }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res
      .status(status)
      // The message may quote the request path: never let a browser sniff it as HTML.
      .set({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' })
      .send(`${message}\n`);
  };
}
