/**
 * A command result as one bus message. The output limit (`agent.commands.max_output_bytes`, 1 MiB by
 * default) is measured before JSON encoding, which escapes newlines and quotes: a 1 MiB log becomes
 * ~1.2 MB on the wire, over a NATS server's default `max_payload`. The output is cut further, with the
 * usual marker, until the whole message fits.
 */
import type { AgentResult } from '../../contracts/index.js';
import { truncateOutput } from './truncate-output.js';

/** JSON of `result`, its output truncated as needed so the message is at most `maxBytes`. */
export function fitResult(result: AgentResult, maxBytes: number): string {
  let body = JSON.stringify(result);
  let size = Buffer.byteLength(body);
  let output = result.output;
  for (let i = 0; i < 16 && size > maxBytes && output.length > 0; i++) {
    const outputBytes = Buffer.byteLength(output);
    // Shrink by the overshoot, scaled for the escaping this output gets, plus a margin.
    const ratio = Buffer.byteLength(JSON.stringify(output)) / Math.max(1, outputBytes);
    const target = Math.max(0, Math.floor(outputBytes - (size - maxBytes) / ratio) - 1024);
    output = truncateOutput(result.output, target, false).output;
    body = JSON.stringify({ ...result, output, truncated: true });
    size = Buffer.byteLength(body);
  }
  return body;
}
