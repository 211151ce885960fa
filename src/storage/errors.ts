/**
 * A database whose schema is newer than this build knows: another replica (or a later release) migrated it.
 * Opening it anyway could write rows the newer code reads wrongly, so the store refuses and the service stops.
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`database schema is at version ${found}, this build knows up to ${known}: upgrade the service`);
    this.name = 'SchemaTooNewError';
  }
}

/** The configured database cannot be used (unreachable, refused, or failing to migrate); the message names it. */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}
