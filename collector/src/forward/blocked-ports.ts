/**
 * Ports fetch() will not connect to over HTTP(S): the "bad ports" of the Fetch standard
 * (https://fetch.spec.whatwg.org/#port-blocking), as Node 20's undici blocks them. fetch fails such a
 * request with "bad port" before any connection, on every attempt, so a forward URL on one of them
 * could never deliver a span; the collector refuses it at start instead. (Newer undici versions block
 * a few more, 4190 and 6679 among them; a refusal by fetch at run time is given up at once.)
 */
const BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119,
  123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990,
  993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080,
]);

/** Whether fetch() refuses to connect to this http(s) URL's port. */
export function onBlockedPort(url: URL): boolean {
  return url.port !== '' && BLOCKED_PORTS.has(Number(url.port));
}
