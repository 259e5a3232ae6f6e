import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  COMMAND_DISPATCH_JOB,
  COMMAND_EXPIRE_JOB,
  COMMAND_RESEND_JOB,
  type CommandDispatchJobDto,
  type CommandExecution,
  type CommandExpiryPhase,
  type ParamValue,
} from '@fleet/contracts';
import { GATEWAY_BUS, type GatewayBus } from '../gateway-link/gateway-bus.js';
import { JobQueueAdapter } from '../queue/job-queue.adapter.js';
import { commandBatches } from './command-batches.js';
import { deliveryTimeoutMs, expiryGraceMs, queuePriority } from './command-timing.js';
import { CommandExecutionsRepository } from './command-executions.repository.js';
import { CommandProgress } from './command-progress.service.js';

/** The shortest delivery timeout: the reconciler leaves younger work to the jobs that own it. */
const RECONCILE_MIN_AGE_MS = 5_000;
/** Clock tolerance between the job's timer and this process when checking an expiry. */
const EXPIRY_SLACK_MS = 1_000;
/** Gateways told at once to drop canceled executions. */
const DROP_CONCURRENCY = 16;

export interface DispatchStart {
  id: string;
  priority: number;
  expiresAt: Date;
}

export interface DropTarget {
  id: string;
  gatewayId: string;
  deviceId: string;
}

export class ExpiryNotDueError extends Error {
  readonly code = 'COMMAND_EXPIRY_NOT_DUE';
}

/**
 * Moves executions from Postgres to gateways: one dispatch job per (command, gateway) that sends
 * the queued executions as `cmd` batches when the gateway is online, a resend check one delivery
 * timeout later, TTL expiry, re-dispatch when a gateway reconnects, and the reconciler that
 * rebuilds all of that from Postgres after Redis lost it.
 */
@Injectable()
export class CommandDispatchService {
  private readonly logger = new Logger(CommandDispatchService.name);

  constructor(
    private readonly executions: CommandExecutionsRepository,
    private readonly jobs: JobQueueAdapter,
    @Inject(GATEWAY_BUS) private readonly bus: GatewayBus,
    private readonly progress: CommandProgress,
  ) {}

  /**
   * Queues the work of a command just written: one dispatch job per gateway and the TTL expiry.
   * Redis being away is not fatal: the command is in Postgres and the reconciler queues it later.
   */
  async start(command: DispatchStart, gatewayIds: readonly string[]): Promise<void> {
    try {
      await this.jobs.enqueueMany(
        COMMAND_DISPATCH_JOB,
        gatewayIds.map((gatewayId) => ({ commandId: command.id, gatewayId })),
        { priority: queuePriority(command.priority) },
      );
      await this.jobs.enqueue(
        COMMAND_EXPIRE_JOB,
        { commandId: command.id, phase: 'ttl' },
        { delayMs: Math.max(0, command.expiresAt.getTime() - Date.now()) },
      );
    } catch (error) {
      this.logger.warn(
        { err: error, commandId: command.id },
        'command recorded but not queued; the reconciler will queue it',
      );
    }
  }

  /** `command.dispatch` and `command.resend`: sends what should go to this gateway now. */
  async dispatch(commandId: string, gatewayId: string): Promise<void> {
    const command = await this.executions.command(commandId);
    if (!command || command.state !== 'active') return;
    const now = Date.now();
    const expiresAt = command.expiresAt.getTime();
    // Expired work is the expiry job's; offline gateways get theirs when they reconnect.
    if (expiresAt <= now) return;
    if (!(await this.executions.gatewayOnline(gatewayId))) return;
    const timeoutMs = deliveryTimeoutMs(expiresAt - command.createdAt.getTime());
    const sentAt = new Date(now);
    const claimed = await this.executions.claimForSend(
      commandId,
      gatewayId,
      new Date(now - timeoutMs),
      sentAt,
    );
    if (claimed.length === 0) return;
    const params = command.params as Record<string, ParamValue>;
    const executions: CommandExecution[] = claimed.map((e) => ({
      executionId: e.id,
      commandId,
      deviceId: e.deviceId,
      command: command.command,
      params,
      priority: command.priority,
      expiresAt,
    }));
    try {
      for (const batch of commandBatches(executions, commandId))
        await this.bus.publishDownlink(gatewayId, batch);
    } catch (error) {
      await this.executions.unclaim(
        claimed.map((e) => e.id),
        sentAt,
      );
      throw error;
    }
    await this.jobs
      .enqueue(COMMAND_RESEND_JOB, { commandId, gatewayId, sentAt: now }, { delayMs: timeoutMs })
      .catch((error: unknown) => {
        this.logger.warn({ err: error, commandId, gatewayId }, 'resend check not queued');
      });
    this.progress.touch(commandId, command.tenantId);
  }

  /** `command.expire`: settles what the TTL (then its grace period) leaves unfinished. */
  async expire(commandId: string, phase: CommandExpiryPhase): Promise<void> {
    const command = await this.executions.command(commandId);
    if (!command || command.finishedAt) return;
    const now = Date.now();
    const expiresAt = command.expiresAt.getTime();
    const graceEnd = expiresAt + expiryGraceMs(expiresAt - command.createdAt.getTime());
    if (now < expiresAt - EXPIRY_SLACK_MS)
      throw new ExpiryNotDueError(
        `command ${commandId} expires at ${command.expiresAt.toISOString()}`,
      );
    let expired = 0;
    if (command.state === 'active') expired += await this.executions.expireUndelivered(commandId);
    if (now >= graceEnd - EXPIRY_SLACK_MS) {
      expired += await this.executions.expireUnreported(
        commandId,
        command.state === 'canceled' ? 'canceled' : 'expired',
      );
    } else if (await this.executions.hasUnfinished(commandId, ['delivered'])) {
      await this.jobs.enqueue(
        COMMAND_EXPIRE_JOB,
        { commandId, phase: 'grace' },
        { delayMs: graceEnd - now },
      );
    }
    if (expired > 0)
      this.logger.log({ commandId, phase, expired }, 'unfinished executions expired');
    await this.finish([commandId]);
    this.progress.touch(commandId, command.tenantId);
  }

  /** Records commands whose executions are all final and drops their pending timers. */
  async finish(commandIds: readonly string[]): Promise<void> {
    for (const done of await this.executions.finishIfDone(commandIds)) {
      this.logger.log({ commandId: done.id, state: done.state }, 'command finished');
      await this.jobs
        .cancel(COMMAND_EXPIRE_JOB, { commandId: done.id, phase: 'ttl' })
        .catch(() => undefined);
    }
  }

  /** A gateway (re)connected: send what waits for it now rather than at the next sweep. */
  async onGatewayOnline(gatewayId: string): Promise<void> {
    const commandIds = await this.executions.commandsAwaiting(gatewayId);
    await this.rearm(commandIds.map((commandId) => ({ commandId, gatewayId })));
  }

  /**
   * Rebuilds every job unfinished executions need, from Postgres: expiry timers of unfinished
   * commands (settling those already past their TTL), and dispatches for online gateways with
   * queued executions or sent ones never acknowledged.
   */
  async reconcile(): Promise<void> {
    const now = Date.now();
    for (const command of await this.executions.unfinishedCommands()) {
      const expiresAt = command.expiresAt.getTime();
      if (expiresAt > now) {
        await this.jobs.enqueue(
          COMMAND_EXPIRE_JOB,
          { commandId: command.id, phase: 'ttl' },
          { delayMs: expiresAt - now },
        );
      } else {
        await this.expire(command.id, 'ttl');
      }
    }
    const pairs = await this.executions.pendingDispatches(new Date(now - RECONCILE_MIN_AGE_MS));
    await this.rearm(pairs);
    if (pairs.length > 0)
      this.logger.log({ dispatches: pairs.length }, 'command dispatches rebuilt');
  }

  /**
   * Queues the dispatch of these (command, gateway) pairs again. A finished job with the same id
   * would swallow the add, so it is removed first; a running one cannot be, and covers it.
   */
  private async rearm(pairs: readonly CommandDispatchJobDto[]): Promise<void> {
    for (const pair of pairs) {
      await this.jobs.cancel(COMMAND_DISPATCH_JOB, pair);
      await this.jobs.enqueue(COMMAND_DISPATCH_JOB, pair);
    }
  }

  /**
   * Tells gateways to drop executions of a canceled command that reached them (or may have): the
   * same executions again with the deadline moved to now, so an agent that has not started one
   * never will. Best effort: a gateway that already started finishes and reports.
   */
  async dropOnGateways(
    command: { id: string; command: string; params: unknown; priority: number },
    targets: readonly DropTarget[],
  ): Promise<void> {
    const byGateway = new Map<string, DropTarget[]>();
    for (const target of targets) {
      const list = byGateway.get(target.gatewayId);
      if (list) list.push(target);
      else byGateway.set(target.gatewayId, [target]);
    }
    const deadline = Date.now();
    const params = command.params as Record<string, ParamValue>;
    const queue = [...byGateway];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [gatewayId, list] = next;
        const executions: CommandExecution[] = list.map((e) => ({
          executionId: e.id,
          commandId: command.id,
          deviceId: e.deviceId,
          command: command.command,
          params,
          priority: command.priority,
          expiresAt: deadline,
        }));
        try {
          for (const batch of commandBatches(executions, command.id))
            await this.bus.publishDownlink(gatewayId, batch);
        } catch (error) {
          this.logger.warn(
            { err: error, commandId: command.id, gatewayId },
            'gateway not told to drop canceled executions',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: DROP_CONCURRENCY }, worker));
  }
}
