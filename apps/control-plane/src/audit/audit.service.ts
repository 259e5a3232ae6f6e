import { Injectable, Logger } from '@nestjs/common';
import { InvalidInputError } from '@fleet/common';
import type { Principal, Scope } from '../auth/principal.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { decodeCursor, encodeCursor, type Page } from '../http/pagination.js';
import { AuditRepository, type AuditFilter, type AuditRow } from './audit.repository.js';

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditEntry {
  tenantId: string | null;
  principal?: Principal;
  actorName?: string;
  action: string;
  targetType?: string;
  targetId?: string;
  method: string;
  path: string;
  statusCode: number;
  requestId: string;
  ip?: string;
  details?: Record<string, unknown>;
}

export function outcomeOf(statusCode: number): AuditOutcome {
  if (statusCode < 400) return 'success';
  if (statusCode === 401 || statusCode === 403 || statusCode === 429) return 'denied';
  return 'failure';
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly audit: AuditRepository,
    private readonly metrics: MetricsService,
  ) {}

  /** Writes one entry. A failure is logged and counted; it never fails the request it describes. */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.audit.insert({
        tenantId: entry.tenantId,
        actorUserId: entry.principal?.userId,
        actorTokenId: entry.principal?.tokenId,
        actorName: entry.principal?.username ?? entry.actorName ?? null,
        action: entry.action,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        method: entry.method,
        path: entry.path,
        statusCode: entry.statusCode,
        outcome: outcomeOf(entry.statusCode),
        requestId: entry.requestId,
        ip: entry.ip ?? null,
        details: entry.details ?? null,
      });
    } catch (error) {
      this.metrics.auditFailures.inc();
      this.logger.error(
        { err: error, action: entry.action, requestId: entry.requestId },
        'audit write failed',
      );
    }
  }

  async list(
    scope: Scope | null,
    filter: Omit<AuditFilter, 'tenantId'>,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<AuditRow>> {
    const key = decodeCursor(cursor);
    const before = key === undefined ? undefined : Number(key);
    if (before !== undefined && !Number.isSafeInteger(before)) {
      throw new InvalidInputError('VALIDATION_FAILED', [
        { field: 'cursor', reason: 'is not a cursor from this API' },
      ]);
    }
    const rows = await this.audit.list(
      { ...filter, tenantId: scope?.tenantId ?? null },
      before,
      limit + 1,
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor(String(last.id)) : null,
    };
  }
}
