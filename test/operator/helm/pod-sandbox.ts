// Stands in for the kubelet, which does not run in the test bed: materializes a
// pod template's volumes (ConfigMaps, Secrets, projected ConfigMaps and Secrets, emptyDirs, PVCs) from the API
// server into a directory, at their mount paths below that directory, so a
// process can be started with the container's files where it expects them.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { KubeClient } from '../../../operator/src/kube/client.js';
import { isNotFound } from '../../../operator/src/kube/errors.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';

interface KeyToPath { key: string; path: string }
interface ProjectedSource { name: string; items?: KeyToPath[]; optional?: boolean }
interface Volume {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  projected?: { defaultMode?: number; sources: Array<{ configMap?: ProjectedSource; secret?: ProjectedSource }> };
  emptyDir?: object;
  persistentVolumeClaim?: { claimName: string };
}
interface VolumeMount { name: string; mountPath: string; subPath?: string; readOnly?: boolean }
export interface PodTemplateSpec {
  spec: { containers: Array<{ name: string; command?: string[]; args?: string[]; volumeMounts?: VolumeMount[] }>; volumes?: Volume[] };
}

export class PodSandbox {
  /** Container mount paths, longest first, so nested mounts map correctly. */
  readonly mountPaths: string[];

  private constructor(readonly root: string, mounts: VolumeMount[]) {
    this.mountPaths = mounts.map((m) => m.mountPath).sort((a, b) => b.length - a.length);
  }

  /** Writes every volume the container mounts; the objects are read from the API server. */
  static async materialize(client: KubeClient, namespace: string, template: PodTemplateSpec, root: string, container = template.spec.containers[0].name): Promise<PodSandbox> {
    const c = template.spec.containers.find((x) => x.name === container);
    if (!c) throw new Error(`no container ${container}`);
    const volumes = new Map((template.spec.volumes ?? []).map((v) => [v.name, v]));
    for (const mount of c.volumeMounts ?? []) {
      const v = volumes.get(mount.name);
      if (!v) throw new Error(`volume ${mount.name} is mounted but not defined`);
      const target = join(root, mount.mountPath);
      const files = await volumeFiles(client, namespace, v);
      if (files === undefined) {
        await mkdir(target, { recursive: true }); // emptyDir or a (fresh) PVC
        continue;
      }
      const mode = v.secret?.defaultMode ?? v.projected?.defaultMode ?? 0o644;
      if (mount.subPath !== undefined) {
        const content = files.get(mount.subPath);
        if (content === undefined) throw new Error(`volume ${mount.name} has no ${mount.subPath}`);
        await writeAt(target, content, mode);
      } else {
        for (const [path, content] of files) await writeAt(join(target, path), content, mode);
      }
    }
    return new PodSandbox(root, c.volumeMounts ?? []);
  }

  /** The sandbox path of a path inside the container (unchanged when no volume holds it). */
  hostPath(containerPath: string): string {
    const m = this.mountPaths.find((p) => containerPath === p || containerPath.startsWith(`${p}/`));
    return m ? join(this.root, containerPath) : containerPath;
  }

  /** A copy of a config object with every string that names a mounted path moved into the sandbox. */
  relocate<T>(value: T): T {
    if (typeof value === 'string') return this.hostPath(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.relocate(v)) as T;
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.relocate(v)])) as T;
    return value;
  }
}

async function volumeFiles(client: KubeClient, namespace: string, v: Volume): Promise<Map<string, Buffer> | undefined> {
  let data: Map<string, Buffer>;
  let items: KeyToPath[] | undefined;
  if (v.configMap) {
    const cm = await getOptional(client, 'ConfigMap', v.configMap.name, namespace, v.configMap.optional);
    // The kubelet mounts an optional volume whose source is missing as an empty directory.
    if (!cm) return undefined;
    data = new Map(Object.entries(cm.data ?? {}).map(([k, s]) => [k, Buffer.from(s)]));
    items = v.configMap.items;
  } else if (v.secret) {
    const s = await getOptional(client, 'Secret', v.secret.secretName, namespace, v.secret.optional);
    if (!s) return undefined;
    data = new Map(Object.entries(s.data ?? {}).map(([k, b64]) => [k, Buffer.from(b64, 'base64')]));
    items = v.secret.items;
  } else if (v.projected) {
    // Every source's files in one directory; an optional source that is missing adds none.
    const all = new Map<string, Buffer>();
    for (const source of v.projected.sources) {
      const one = source.secret
        ? { name: v.name, secret: { secretName: source.secret.name, items: source.secret.items, optional: source.secret.optional } }
        : { name: v.name, configMap: source.configMap };
      for (const [path, content] of (await volumeFiles(client, namespace, one)) ?? []) all.set(path, content);
    }
    return all;
  } else if (v.emptyDir || v.persistentVolumeClaim) {
    return undefined;
  } else {
    throw new Error(`volume ${v.name}: unsupported source`);
  }
  if (!items) return data;
  return new Map(items.map((i) => {
    const content = data.get(i.key);
    if (content === undefined) throw new Error(`volume ${v.name}: key ${i.key} missing`);
    return [i.path, content];
  }));
}

async function getOptional(client: KubeClient, kind: 'ConfigMap' | 'Secret', name: string, namespace: string, optional = false): Promise<(KubeObject & { data?: Record<string, string> }) | undefined> {
  try {
    return await client.get<KubeObject & { data?: Record<string, string> }>('v1', kind, name, namespace);
  } catch (err) {
    if (optional && isNotFound(err)) return undefined;
    throw err;
  }
}

async function writeAt(path: string, content: Buffer, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  // Owner-readable at least: the test runs as the file's owner, not as the pod's fsGroup.
  await chmod(path, mode | 0o400);
}
