// Types of scripts/gen-crd-docs.mjs for the TypeScript tests that import it.
export function renderCrdReference(crdDir?: string): string;
