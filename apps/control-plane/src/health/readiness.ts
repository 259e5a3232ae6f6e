/**
 * Something the control plane depends on, checked by /health/ready. Modules register theirs
 * (database, Redis, MQTT broker) so the health module does not import them all.
 */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<Record<string, unknown>>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
