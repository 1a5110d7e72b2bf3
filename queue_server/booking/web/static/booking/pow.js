// A worker that finds a counter such that SHA-256(challenge + ":" + counter) starts with `bits` zero bits
// (booking/web/challenge.py), with Web Crypto, a batch of digests at a time; the page stays responsive.
"use strict";

const encoder = new TextEncoder();
const BATCH = 512;

function zeroBits(buffer) {
  const bytes = new Uint8Array(buffer);
  let count = 0;
  for (const byte of bytes) {
    if (byte === 0) { count += 8; continue; }
    return count + Math.clz32(byte) - 24;
  }
  return count;
}

self.onmessage = async (event) => {
  const { challenge, bits } = event.data;
  for (let start = 0; ; start += BATCH) {
    const digests = [];
    for (let n = start; n < start + BATCH; n++) {
      digests.push(crypto.subtle.digest("SHA-256", encoder.encode(`${challenge}:${n}`)));
    }
    const done = await Promise.all(digests);
    const found = done.findIndex((digest) => zeroBits(digest) >= bits);
    if (found >= 0) {
      self.postMessage({ challenge, counter: String(start + found) });
      return;
    }
  }
};
