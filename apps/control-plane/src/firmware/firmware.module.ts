import { Module } from '@nestjs/common';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { RegistryModule } from '../registry/registry.module.js';
import { ARTIFACT_STORE } from './artifact-store.port.js';
import { DeploymentReportsService } from './deployment-reports.service.js';
import { DeploymentsRepository } from './deployments.repository.js';
import { DOWNLOAD_TOKENS, DownloadTokenSigner } from './download-token.js';
import { DownloadsController } from './downloads.controller.js';
import { DownloadsService } from './downloads.service.js';
import { FirmwareLifecycle } from './firmware.lifecycle.js';
import { LocalArtifactStore } from './local-artifact-store.adapter.js';
import { OrchestrationRepository } from './orchestration.repository.js';
import { OtaInstructionsService } from './ota-instructions.service.js';
import { PendingUploadsAdapter } from './pending-uploads.adapter.js';
import { ReleaseKeysController } from './release-keys.controller.js';
import { ReleaseKeysRepository } from './release-keys.repository.js';
import { ReleaseKeysService } from './release-keys.service.js';
import { ReleasesController } from './releases.controller.js';
import { ReleasesRepository } from './releases.repository.js';
import { ReleasesService } from './releases.service.js';
import { RolloutControlService } from './rollout-control.service.js';
import { RolloutOrchestrator } from './rollout-orchestrator.service.js';
import { RolloutProgress } from './rollout-progress.service.js';
import { RolloutTicksAdapter } from './rollout-ticks.adapter.js';
import { RolloutsController } from './rollouts.controller.js';
import { RolloutsRepository } from './rollouts.repository.js';
import { RolloutsService } from './rollouts.service.js';
import { loadUrlSecret } from './url-secret.adapter.js';

/**
 * Firmware: release keys, signed uploads into the artifact store, gateway downloads with signed
 * URLs, and staged rollouts orchestrated on BullMQ with per-gateway deployments.
 */
@Module({
  imports: [RegistryModule],
  controllers: [ReleaseKeysController, ReleasesController, RolloutsController, DownloadsController],
  providers: [
    {
      provide: ARTIFACT_STORE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        const store = new LocalArtifactStore(join(config.dataDir, 'artifacts'));
        await store.init();
        return store;
      },
    },
    {
      provide: DOWNLOAD_TOKENS,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) =>
        new DownloadTokenSigner(await loadUrlSecret(config.FIRMWARE_URL_SECRET, config.dataDir)),
    },
    ReleaseKeysRepository,
    ReleaseKeysService,
    ReleasesRepository,
    ReleasesService,
    PendingUploadsAdapter,
    DownloadsService,
    RolloutsRepository,
    RolloutsService,
    RolloutControlService,
    OrchestrationRepository,
    DeploymentsRepository,
    OtaInstructionsService,
    RolloutTicksAdapter,
    RolloutProgress,
    RolloutOrchestrator,
    DeploymentReportsService,
    FirmwareLifecycle,
  ],
})
export class FirmwareModule {}
