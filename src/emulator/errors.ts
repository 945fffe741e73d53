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
  | 'UnknownOperationException'
  | 'InvalidOperationException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'ExpiredTokenException'
  | 'InternalFailure';

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
  InvalidOperationException: 400,
  UnrecognizedClientException: 400,
  InvalidSignatureException: 400,
  ExpiredTokenException: 400,
  InternalFailure: 500,
};

export class AwsError extends Error {
  readonly status: number;
  /** The `__type` sent: the name, or a namespaced or unknown one a fault asks for. */
  readonly wireType: string;
  constructor(readonly type: AwsErrorType, message: string, wire: { readonly status?: number | undefined; readonly wireType?: string | undefined } = {}) {
    super(message);
    this.name = type;
    this.status = wire.status ?? STATUS[type];
    this.wireType = wire.wireType ?? type;
  }
}

/** The error types a `refuse` fault may answer with (what the real service sends when it refuses a call). */
export const REFUSAL_TYPES = [
  'ThrottlingException',
  'LimitExceededException',
  'AccessDeniedException',
  'ServiceUnavailableException',
  'InvalidOperationException',
  'InvalidParameterException',
  'ResourceNotFoundException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InternalFailure',
] as const;
export type RefusalType = (typeof REFUSAL_TYPES)[number];

export const invalidParameter = (message: string): AwsError => new AwsError('InvalidParameterException', message);
export const groupNotFound = (): AwsError => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamNotFound = (): AwsError => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');

/** What the service answers a request that is not signed, signed wrongly, or signed with an expired session token. */
export const unsigned = (): AwsError => new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
export const badSignature = (): AwsError =>
  new AwsError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
export const expiredToken = (): AwsError => new AwsError('ExpiredTokenException', 'The security token included in the request is expired');
