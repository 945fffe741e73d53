/**
 * AWS event-stream frames for StartLiveTail's response, encoded with
 * `@smithy/eventstream-codec` (prelude, headers, payload, CRCs) so the SDK
 * decodes them exactly as it decodes the real service's.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';

const codec = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text: string) => Buffer.from(text, 'utf8'),
);

function frame(headers: Record<string, string>, body: unknown): Buffer {
  const encoded = codec.encode({
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }])),
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  });
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** A `sessionStart` or `sessionUpdate` event. */
export function eventFrame(eventType: 'sessionStart' | 'sessionUpdate', body: unknown): Buffer {
  return frame({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, body);
}

/** An in-stream exception: the SDK throws it from the `for await` loop as its exported class. */
export function exceptionFrame(exceptionType: 'SessionTimeoutException' | 'SessionStreamingException', message: string): Buffer {
  return frame({ ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' }, { message });
}

/**
 * A `:message-type: error` frame (what the event-stream protocol sends for a failure that is no
 * modelled exception): the SDK throws a plain `Error` named after `:error-code`.
 */
export function errorFrame(code: string, message: string): Buffer {
  const encoded = codec.encode({
    headers: { ':message-type': { type: 'string', value: 'error' }, ':error-code': { type: 'string', value: code }, ':error-message': { type: 'string', value: message } },
    body: new Uint8Array(0),
  });
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** An event of a type this SDK version does not know (a newer service may send one): the SDK yields it as `$unknown`. */
export function unknownEventFrame(eventType: string, body: unknown): Buffer {
  return frame({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, body);
}

/** The frame with one payload byte flipped: its message CRC no longer matches. */
export function withBadCrc(f: Buffer): Buffer {
  const copy = Buffer.from(f);
  // Prelude (12 bytes) and headers stay valid, so the decoder gets as far as the message CRC.
  const headersLength = copy.readUInt32BE(4);
  const payloadAt = 12 + headersLength;
  copy[payloadAt] = copy[payloadAt]! ^ 0xff;
  return copy;
}
