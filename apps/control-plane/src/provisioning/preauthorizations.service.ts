import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError, type FieldProblem } from '@fleet/common';
import type { Scope } from '../auth/principal.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import { SitesService } from '../registry/sites.service.js';
import { ProvisioningRepository, type PreauthorizationRow } from './provisioning.repository.js';

const SERIAL = /^[A-Za-z0-9._:-]{1,64}$/;
const MODEL = /^[A-Za-z0-9._+-]{1,64}$/;
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_ROWS = 100_000;

export interface ManifestRow {
  serialNumber: string;
  model: string;
  hardwareRevision: string | null;
  siteId: string | null;
}

/**
 * Parses a factory manifest: CSV with a header naming `serial` (or `serial_number`), `model`, and
 * optionally `hardware_revision` and `site`. Every problem is reported with its line; any problem
 * rejects the whole file.
 */
export function parseManifest(csv: string): ManifestRow[] {
  const lines = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase().replace(/[\s-]/g, '_'));
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const serialAt = col('serial', 'serial_number', 'serialnumber');
  const modelAt = col('model');
  const hwAt = col('hardware_revision', 'hardware', 'hw', 'revision');
  const siteAt = col('site', 'site_id');
  const problems: FieldProblem[] = [];
  if (serialAt < 0)
    problems.push({ field: 'line 1', reason: 'header must name a "serial" column' });
  if (modelAt < 0) problems.push({ field: 'line 1', reason: 'header must name a "model" column' });
  if (problems.length) throw new InvalidInputError('MANIFEST_INVALID', problems);
  const rows: ManifestRow[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    const at = `line ${i + 1}`;
    const serial = cells[serialAt] ?? '';
    const model = cells[modelAt] ?? '';
    const hw = hwAt >= 0 ? cells[hwAt] || null : null;
    const site = siteAt >= 0 ? cells[siteAt] || null : null;
    if (!SERIAL.test(serial))
      problems.push({ field: `${at}: serial`, reason: `"${serial}" is not a serial number` });
    if (!MODEL.test(model))
      problems.push({ field: `${at}: model`, reason: `"${model}" is not a model` });
    if (hw !== null && !VERSION.test(hw))
      problems.push({ field: `${at}: hardware_revision`, reason: `"${hw}" is not a revision` });
    if (site !== null && !SLUG.test(site))
      problems.push({ field: `${at}: site`, reason: `"${site}" is not a site id` });
    const previous = seen.get(serial);
    if (previous !== undefined)
      problems.push({
        field: `${at}: serial`,
        reason: `${serial} already listed on line ${previous}`,
      });
    seen.set(serial, i + 1);
    rows.push({ serialNumber: serial, model, hardwareRevision: hw, siteId: site });
    if (problems.length > 50) break;
  }
  if (rows.length > MAX_ROWS)
    problems.push({ field: 'file', reason: `more than ${MAX_ROWS} rows` });
  if (problems.length) throw new InvalidInputError('MANIFEST_INVALID', problems.slice(0, 50));
  return rows;
}

@Injectable()
export class PreauthorizationsService {
  constructor(
    private readonly repo: ProvisioningRepository,
    private readonly sites: SitesService,
  ) {}

  async importManifest(scope: Scope, csv: string): Promise<{ imported: number }> {
    const rows = parseManifest(csv);
    for (const siteId of new Set(
      rows.map((r) => r.siteId).filter((s): s is string => s !== null),
    )) {
      await this.sites.require(scope, siteId);
    }
    const imported = await this.repo.upsertPreauthorizations(
      rows.map((r) => ({ ...r, tenantId: scope.tenantId })),
    );
    return { imported };
  }

  async list(
    scope: Scope,
    cursor: string | undefined,
    limit = DEFAULT_PAGE_SIZE,
  ): Promise<Page<PreauthorizationRow>> {
    return pageOf(
      await this.repo.listPreauthorizations(scope.tenantId, decodeCursor(cursor), limit + 1),
      limit,
      (r) => r.serialNumber,
    );
  }

  async remove(scope: Scope, serialNumber: string): Promise<void> {
    if (!(await this.repo.deletePreauthorization(scope.tenantId, serialNumber))) {
      throw new NotFoundError(
        'PREAUTHORIZATION_NOT_FOUND',
        `serial ${serialNumber} is not pre-authorised`,
      );
    }
  }
}
