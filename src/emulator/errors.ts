/**
 * Errors the emulator returns the way CloudWatch Logs does (AWS JSON 1.1):
 * an HTTP status and a body `{"__type": "<ExceptionName>", "message": "…"}`,
 * which the SDK turns into an instance of its exported class of that name.
 */
export type AwsErrorType =
  | 'InvalidParameterException'
  | 'ResourceNotFoundException'
  | 'ResourceAlreadyExistsException'
  | 'LimitExceededException'
  | 'ThrottlingException'
  | 'AccessDeniedException'
  | 'ServiceUnavailableException'
  | 'DataAlreadyAcceptedException'
  | 'SerializationException'
  | 'UnknownOperationException';

const STATUS: Readonly<Record<AwsErrorType, number>> = {
  InvalidParameterException: 400,
  ResourceNotFoundException: 400,
  ResourceAlreadyExistsException: 400,
  LimitExceededException: 400,
  ThrottlingException: 400,
  AccessDeniedException: 400,
  ServiceUnavailableException: 503,
  DataAlreadyAcceptedException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
};

export class AwsError extends Error {
  readonly status: number;
  constructor(readonly type: AwsErrorType, message: string) {
    super(message);
    this.name = type;
    this.status = STATUS[type];
  }
}

/** The error types a `refuse` fault may answer with (what the real service sends when it refuses a call). */
export const REFUSAL_TYPES = ['ThrottlingException', 'LimitExceededException', 'AccessDeniedException', 'ServiceUnavailableException'] as const;
export type RefusalType = (typeof REFUSAL_TYPES)[number];

export const invalidParameter = (message: string): AwsError => new AwsError('InvalidParameterException', message);
export const groupNotFound = (): AwsError => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamNotFound = (): AwsError => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
