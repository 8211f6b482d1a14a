// The alert monitor's view of one tree host: the session's managed connection for state and
// events, and the session's own bulk refresh for readings (no call of its own).

import type { AlertHost } from '../../libvirt/alerts/monitor';
import type { HostSession } from '../hostSession';

export function alertHostOf(session: HostSession): AlertHost {
  const managed = session.managed;
  return {
    id: session.id,
    name: session.config.name,
    get state() {
      return managed.state;
    },
    onStateChange: (l) => managed.onStateChange(l),
    onDomainEvent: (l) => managed.onDomainEvent(l, { kinds: ['lifecycle', 'agentLifecycle'] }),
    onStoragePoolEvent: (l) => managed.onStoragePoolEvent(l),
    onDidSample: (l) => session.onDidSample(l),
    holdSampling: () => session.holdSampling(),
    // Tags are read for every VM as it shows up; this only waits for reads not yet done.
    loadTags: () => void session.loadTagsForFilter(),
  };
}
