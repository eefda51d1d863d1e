/**
 * PEM armour (RFC 7468): base64 of DER between BEGIN and END lines. Encoding writes the usual 64
 * characters per line, exactly as OpenSSL does; decoding tolerates surrounding whitespace and CRLF
 * line ends but nothing else. Errors are FactoError('key_format') and never quote the body, since
 * the body is key material.
 */
import { fromBase64, toBase64 } from '../bytes.js';
import { FactoError } from '../errors.js';

const PEM_BLOCK = /^-----BEGIN ([^\r\n]*?)-----([\s\S]*?)-----END ([^\r\n]*?)-----$/;
// Labels are not secret, but only echo ones that look like labels, so a garbled input whose
// "label" is really key text is never repeated back.
const PLAIN_LABEL = /^[A-Z0-9 ]{1,40}$/;
const LINE_LENGTH = 64;

export function encodePem(label: string, der: Uint8Array): string {
  const body = toBase64(der);
  const lines: string[] = [];
  for (let index = 0; index < body.length; index += LINE_LENGTH) lines.push(body.slice(index, index + LINE_LENGTH));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER inside a PEM block labelled `label`. `what` names the value in error messages. */
export function decodePem(text: string, label: string, what: string): Uint8Array {
  const match = PEM_BLOCK.exec(text.trim());
  if (match === null) {
    throw new FactoError(
      'key_format',
      `${what} PEM is incomplete: expected "-----BEGIN ${label}-----" ... "-----END ${label}-----"`,
    );
  }
  const [, beginLabel = '', body = '', endLabel = ''] = match;
  if (beginLabel !== endLabel) {
    throw new FactoError('key_format', `${what} PEM has mismatched BEGIN and END lines`);
  }
  if (beginLabel !== label) {
    const found = PLAIN_LABEL.test(beginLabel) ? `"${beginLabel}"` : 'another type';
    throw new FactoError('key_format', `${what} PEM must be "${label}", got ${found}`);
  }
  try {
    return fromBase64(body.replace(/\s+/g, ''), 'PEM body');
  } catch {
    throw new FactoError('key_format', `${what} PEM body is not valid base64 (truncated or altered?)`);
  }
}
