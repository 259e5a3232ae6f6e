import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `<stateDir>/ota/artifacts/<deploymentId>.artifact`, with the downloader's `.part` and `.part.json`
 * beside it while a download is under way. Removed once a deployment is finished or installed.
 */
export class OtaArtifactStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'ota', 'artifacts');
  }

  pathFor(deploymentId: string): string {
    // Deployment ids match ENTITY_ID_PATTERN: no slashes, no leading dot.
    return join(this.dir, `${deploymentId}.artifact`);
  }

  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Bytes already fetched for a download that was interrupted (0 when none). */
  async partialBytes(deploymentId: string): Promise<number> {
    try {
      return (await stat(`${this.pathFor(deploymentId)}.part`)).size;
    } catch {
      return 0;
    }
  }

  async remove(deploymentId: string): Promise<void> {
    const path = this.pathFor(deploymentId);
    await Promise.all(
      [path, `${path}.part`, `${path}.part.json`].map((p) => rm(p, { force: true })),
    );
  }
}
