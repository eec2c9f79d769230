// GET /system/cluster: the scale-out cluster as this instance sees it (role, leader, live instances).
import type { FastifyInstance } from 'fastify';

/** One instance of the cluster. */
export interface ClusterInstanceStatus {
  readonly id: string;
  readonly url: string;
  readonly role: 'leader' | 'follower' | 'promoting';
  readonly startedAt: number;
  readonly lastSeen: number;
}

/** The cluster view (also the `instances` provider of /system/status). */
export interface ClusterStatus {
  readonly self: string;
  readonly role: 'leader' | 'follower' | 'promoting';
  readonly leader: { readonly id: string; readonly url: string } | null;
  readonly instances: readonly ClusterInstanceStatus[];
}

export function registerClusterRoutes(app: FastifyInstance, view: () => Promise<ClusterStatus>): void {
  app.get('/system/cluster', { config: { access: 'viewer' } }, async () => {
    const v = await view();
    return {
      status: 'success',
      data: {
        self: v.self,
        role: v.role,
        leader: v.leader,
        instances: v.instances.map((i) => ({
          id: i.id,
          url: i.url,
          role: i.role,
          started_at: new Date(i.startedAt).toISOString(),
          last_seen: new Date(i.lastSeen).toISOString(),
        })),
      },
    };
  });
}
