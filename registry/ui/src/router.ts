// Hash routes, so every page is a link that works in a new tab and the registry
// serves one page: #/ (repositories), #/r/{name}, #/r/{name}/-/a/{digest},
// #/r/{name}/-/h/{tag}, #/activity, #/storage, #/login.
export type Route =
  | { page: 'repositories' }
  | { page: 'repository'; name: string }
  | { page: 'artifact'; name: string; digest: string }
  | { page: 'history'; name: string; tag: string }
  | { page: 'activity' }
  | { page: 'storage' }
  | { page: 'login' };

export function parse(hash: string): Route {
  // A query after the route (`#/r/x?tab=1`) is not part of a name.
  const path = decodeURIComponent(hash.replace(/^#\/?/, '').split('?')[0]);
  if (path === 'activity') return { page: 'activity' };
  if (path === 'storage') return { page: 'storage' };
  if (path === 'login') return { page: 'login' };
  if (path.startsWith('r/')) {
    const [name, rest] = path.slice(2).split('/-/');
    if (!rest) return { page: 'repository', name };
    if (rest.startsWith('a/')) return { page: 'artifact', name, digest: rest.slice(2) };
    if (rest.startsWith('h/')) return { page: 'history', name, tag: rest.slice(2) };
  }
  return { page: 'repositories' };
}

export const href = {
  repositories: () => '#/',
  repository: (name: string) => `#/r/${name}`,
  artifact: (name: string, digest: string) => `#/r/${name}/-/a/${digest}`,
  history: (name: string, tag: string) => `#/r/${name}/-/h/${tag}`,
};
