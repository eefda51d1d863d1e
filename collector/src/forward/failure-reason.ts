/**
 * How the forwarder words a failure for its log: URLs never with their user:password, whichever
 * message carries them.
 */

/** `text` with the user:password@ of every URL in it replaced by ***@. */
export function withoutUserinfo(text: string): string {
  return text.replace(/\/\/[^/?#\s]*@/g, '//***@');
}
