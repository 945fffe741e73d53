/**
 * The emulator for tests: a started emulator on an ephemeral port, and a real
 * SDK client configured for it (the options production needs for a local
 * endpoint: `endpoint` + `disableHostPrefix: true`; fake static credentials).
 */
import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

export interface StartedEmulator {
  readonly endpoint: string;
  readonly emulator: Emulator;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<StartedEmulator> {
  const emulator = new Emulator(opts);
  const endpoint = await emulator.start();
  return { endpoint, emulator, close: () => emulator.stop() };
}

/**
 * A real CloudWatchLogsClient for the emulator. `maxAttempts` defaults to 1 so
 * an injected refusal surfaces once instead of being retried by the SDK
 * (it retries ThrottlingException and LimitExceededException by default).
 */
export function makeClient(endpoint: string, overrides: Partial<CloudWatchLogsClientConfig> = {}): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    endpoint,
    disableHostPrefix: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
    maxAttempts: 1,
    ...overrides,
  });
}
