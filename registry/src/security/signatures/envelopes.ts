// Signature envelopes in the formats cosign writes, reduced to what a check
// needs: the exact bytes that were signed, the signatures over them, and the
// digests the signed payload names.
//   simplesigning: the layer blob is the payload (JSON whose
//     critical.image.docker-manifest-digest names the image), the signature is the
//     layer's dev.cosignproject.cosign/signature annotation.
//   sigstore bundle v0.3: the layer blob is a bundle whose DSSE envelope carries an
//     in-toto statement (subject[].digest names the image), signed over DSSE's PAE.

export type SignatureFormat = 'cosign-tag' | 'cosign-referrer' | 'sigstore-bundle';

export const SIMPLESIGNING_LAYER = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ARTIFACT = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
const SIMPLESIGNING_TYPE = 'cosign container image signature';
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENTS = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);
/** What `cosign sign --new-bundle-format` states; attestations (other predicates) are not signatures. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export interface EnvelopeSignature {
  readonly signature: Buffer;
  /** A key hint (bundle publicKey.hint); never trusted, only reported. */
  readonly keyHint?: string;
  /** A Fulcio certificate (PEM) for keyless signatures; the key authority ignores it. */
  readonly certificatePem?: string;
}

export interface SignatureEnvelope {
  readonly format: SignatureFormat;
  /** Where it was found: "<signature manifest digest>#<layer index>". */
  readonly source: string;
  readonly signedBytes: Buffer;
  readonly signatures: readonly EnvelopeSignature[];
  /** Digests ("sha256:<hex>") the signed payload says it covers; empty when it names none. */
  readonly subjects: readonly string[];
  /** Why the envelope could not be read, when it could not. */
  readonly error?: string;
}

/** DSSE pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(body)> <body>". */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

function simplesigningSubjects(payload: Buffer): string[] {
  const doc = JSON.parse(payload.toString('utf8')) as { critical?: { type?: string; image?: Record<string, unknown> } };
  if (doc.critical?.type !== SIMPLESIGNING_TYPE) return [];
  const d = doc.critical.image?.['docker-manifest-digest'];
  return typeof d === 'string' ? [d] : [];
}

export function simplesigningEnvelope(format: SignatureFormat, source: string, payload: Buffer, annotations: Record<string, string> | undefined): SignatureEnvelope {
  const sig = annotations?.[COSIGN_SIGNATURE_ANNOTATION];
  const base = { format, source, signedBytes: payload };
  if (!sig) return { ...base, signatures: [], subjects: [], error: 'layer has no signature annotation' };
  try {
    return {
      ...base,
      signatures: [{ signature: Buffer.from(sig, 'base64'), certificatePem: annotations?.[COSIGN_CERTIFICATE_ANNOTATION] }],
      subjects: simplesigningSubjects(payload),
    };
  } catch {
    return { ...base, signatures: [], subjects: [], error: 'payload is not simple signing JSON' };
  }
}

interface Bundle {
  mediaType?: string;
  verificationMaterial?: { publicKey?: { hint?: string }; certificate?: { rawBytes?: string }; x509CertificateChain?: { certificates?: { rawBytes?: string }[] } };
  dsseEnvelope?: { payload?: string; payloadType?: string; signatures?: { sig?: string; keyid?: string }[] };
  messageSignature?: unknown;
}

function derToPem(b64: string): string {
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function bundleEnvelope(source: string, bytes: Buffer): SignatureEnvelope {
  const fail = (error: string): SignatureEnvelope => ({ format: 'sigstore-bundle', source, signedBytes: Buffer.alloc(0), signatures: [], subjects: [], error });
  let bundle: Bundle;
  try {
    bundle = JSON.parse(bytes.toString('utf8')) as Bundle;
  } catch {
    return fail('bundle is not JSON');
  }
  if (bundle.mediaType !== SIGSTORE_BUNDLE_V03) return fail(`unsupported bundle media type ${bundle.mediaType}`);
  const env = bundle.dsseEnvelope;
  if (!env) return fail(bundle.messageSignature ? 'message signatures sign blobs, not images' : 'bundle has no DSSE envelope');
  if (env.payloadType !== IN_TOTO_PAYLOAD || typeof env.payload !== 'string') return fail(`unsupported DSSE payload type ${env.payloadType}`);
  const body = Buffer.from(env.payload, 'base64');
  let subjects: string[] = [];
  try {
    const st = JSON.parse(body.toString('utf8')) as { _type?: string; predicateType?: string; subject?: { digest?: Record<string, string> }[] };
    if (IN_TOTO_STATEMENTS.has(st._type ?? '') && st.predicateType === COSIGN_SIGN_PREDICATE) {
      subjects = (st.subject ?? []).map((s) => s.digest?.sha256).filter((h): h is string => typeof h === 'string').map((h) => `sha256:${h}`);
    }
  } catch {
    return fail('DSSE payload is not an in-toto statement');
  }
  const cert = bundle.verificationMaterial?.certificate?.rawBytes ?? bundle.verificationMaterial?.x509CertificateChain?.certificates?.[0]?.rawBytes;
  return {
    format: 'sigstore-bundle',
    source,
    signedBytes: pae(env.payloadType, body),
    signatures: (env.signatures ?? []).filter((s) => typeof s.sig === 'string').map((s) => ({
      signature: Buffer.from(s.sig!, 'base64'),
      keyHint: bundle.verificationMaterial?.publicKey?.hint,
      certificatePem: cert ? derToPem(cert) : undefined,
    })),
    subjects,
  };
}
