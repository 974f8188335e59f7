// The human check on guest entry: a proof of work, solved here with crypto.subtle (no third party).
// The server signs a challenge; we look for a nonce such that SHA-256(challenge + ":" + nonce)
// starts with `difficulty` zero bits (docs/safety.md, "Human check").
import { get } from "./api.js";

const BATCH = 512; // digests awaited together (crypto.subtle is asynchronous)

function zeroBits(buffer) {
  const bytes = new Uint8Array(buffer);
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

/** A nonce (decimal string) for `challenge` at `difficulty` bits. */
export async function solve(challenge, difficulty) {
  if (!globalThis.crypto || !crypto.subtle) throw new Error("crypto.subtle unavailable");
  const encoder = new TextEncoder();
  for (let start = 0; ; start += BATCH) {
    const nonces = Array.from({ length: BATCH }, (_, i) => String(start + i));
    const digests = await Promise.all(nonces.map((n) => crypto.subtle.digest("SHA-256", encoder.encode(`${challenge}:${n}`))));
    for (let i = 0; i < digests.length; i++) {
      if (zeroBits(digests[i]) >= difficulty) return nonces[i];
    }
  }
}

/** The fields to add to a guest entry: {} when the server does not ask for the check. */
export async function humanCheckFields() {
  const issued = await get("/api/v1/session/challenge");
  if (!issued || !issued.required) return {};
  const nonce = await solve(issued.challenge, issued.difficulty);
  return { challenge: issued.challenge, nonce };
}
