import { Injectable } from '@nestjs/common';
import type { JobDefinition } from '@fleet/contracts';

export type JobHandler<P extends object> = (
  payload: P,
  context: { attempt: number; jobId: string },
) => Promise<void>;

interface Registration {
  definition: JobDefinition;
  handler: JobHandler<object>;
}

/**
 * Where modules say which service method handles which declared job. Workers refuse to start if a
 * declared job has no handler, so a job can never sit in Redis with nobody to run it.
 */
@Injectable()
export class JobHandlers {
  private readonly byName = new Map<string, Registration>();
  private readonly declared = new Map<string, JobDefinition>();

  declare(...definitions: JobDefinition[]): void {
    for (const d of definitions) this.declared.set(d.name, d);
  }

  register<P extends object>(definition: JobDefinition<P>, handler: JobHandler<P>): void {
    if (this.byName.has(definition.name))
      throw new Error(`job ${definition.name} has two handlers`);
    this.declared.set(definition.name, definition);
    this.byName.set(definition.name, {
      definition: definition,
      handler: handler as unknown as JobHandler<object>,
    });
  }

  get(name: string): Registration | undefined {
    return this.byName.get(name);
  }

  /** Declared jobs without a handler; non-empty means the worker must not start. */
  missing(): string[] {
    return [...this.declared.keys()].filter((name) => !this.byName.has(name));
  }

  queues(): Set<JobDefinition['queue']> {
    return new Set([...this.byName.values()].map((r) => r.definition.queue));
  }
}
