import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { ACCESS_METADATA, type AccessRule } from '../auth/access.decorators.js';

export interface RouteAccess {
  method: string;
  path: string;
  controller: string;
  handler: string;
  /** undefined = the route declares nothing (refused by the guard, and a test fails). */
  rule: AccessRule | undefined;
}

function joinPath(base: string, sub: string): string {
  const parts = [base, sub].flatMap((p) => p.split('/')).filter(Boolean);
  return `/${parts.join('/')}`;
}

/**
 * Every HTTP route with the access rule it declares, read from the same metadata the guard
 * enforces. It feeds the role-matrix test and the generated access table in docs/SECURITY.md.
 */
export function routeInventory(app: INestApplication): RouteAccess[] {
  const discovery = app.get(DiscoveryService);
  const reflector = app.get(Reflector);
  const routes: RouteAccess[] = [];
  for (const wrapper of discovery.getControllers()) {
    const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
    if (!type) continue;
    const base = (Reflect.getMetadata(PATH_METADATA, type) as string | undefined) ?? '';
    const proto = type.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const handler = proto[name];
      if (typeof handler !== 'function') continue;
      const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (sub === undefined || method === undefined) continue;
      routes.push({
        method: RequestMethod[method],
        path: joinPath(base, sub),
        controller: type.name,
        handler: name,
        rule: reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, [handler, type]),
      });
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

const ROLE_COLUMNS = ['admin', 'release-manager', 'operator', 'technician', 'viewer'] as const;

/** The access table as markdown: one row per route, one column per role. */
export function renderAccessMatrix(routes: readonly RouteAccess[]): string {
  const header = `| method | path | ${ROLE_COLUMNS.join(' | ')} | platform admin |`;
  const divider = `| --- | --- | ${ROLE_COLUMNS.map(() => '---').join(' | ')} | --- |`;
  const rows = routes.map((r) => {
    const cells = ROLE_COLUMNS.map((role) => {
      if (!r.rule) return 'DENIED (undeclared)';
      switch (r.rule.kind) {
        case 'public':
          return 'public';
        case 'platform':
          return '—';
        case 'roles':
          return r.rule.roles.includes(role) ? 'yes' : '—';
      }
    });
    const platform = r.rule?.kind === 'public' ? 'public' : r.rule ? 'yes' : '—';
    return `| ${r.method} | \`${r.path}\` | ${cells.join(' | ')} | ${platform} |`;
  });
  return [header, divider, ...rows].join('\n');
}
