/** Expected failures are values with a stable code (e.g. SOURCE.UNREACHABLE); unexpected ones are thrown. */
export type ErrorCode =
  | 'SOURCE.UNREACHABLE'
  | 'SOURCE.TIMEOUT'
  | 'SOURCE.TOO_LARGE'
  | 'SOURCE.HTTP_STATUS'
  | 'SOURCE.BAD_PAYLOAD'
  | 'SOURCE.FORBIDDEN_ADDRESS'
  | 'CONFIG.INVALID'
  | 'STORE.CONFLICT'
  | 'DELIVERY.FAILED';

export class DialtoneError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DialtoneError';
  }
}
