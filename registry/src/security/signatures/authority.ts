// Who may sign: an authority decides whether one signature over one envelope
// was made by an identity it trusts. Keys from Secrets are the first
// authority; keyless (Fulcio certificate + Rekor or TSA proof) and notation
// (X.509 trust store) are further implementations of the same interface.
import { verifyWithKey, type TrustedKey } from './keys.js';
import type { EnvelopeSignature, SignatureEnvelope } from './envelopes.js';

export interface SignatureAuthority {
  /** Which identity in this authority made the signature, or undefined when none did. */
  identify(envelope: SignatureEnvelope, signature: EnvelopeSignature): string | undefined;
}

export class KeyAuthority implements SignatureAuthority {
  constructor(private readonly keys: readonly TrustedKey[]) {}

  identify(envelope: SignatureEnvelope, signature: EnvelopeSignature): string | undefined {
    return this.keys.find((k) => verifyWithKey(k.key, envelope.signedBytes, signature.signature))?.name;
  }
}
