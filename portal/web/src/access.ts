import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

// The caller's effective permissions (GET /me/access). Screens and actions are shown by
// permission, never by role name: an access profile can widen or narrow any role.
export const AccessContext = createContext<ReadonlySet<string>>(new Set());

/** `can('tags:assign')`: whether the signed-in user holds that permission. */
export function useCan(): (permission: string) => boolean {
  const perms = useContext(AccessContext);
  return (permission) => perms.has(permission);
}
