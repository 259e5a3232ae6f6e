// Firmware: signed manifests, artifact checks, resumable download, agent bundles, A/B slots, RAUC.
// Nest-free: runs bare on the gateway, in the control plane and in fleetctl.
export {
  FirmwareError,
  FirmwareErrorCode,
  type FieldIssue,
  type FirmwareErrorDetails,
} from './firmware-error.js';
export { canonicalJson } from './canonical-json.js';
export {
  ARTIFACT_KINDS,
  FirmwareManifestDto,
  MANIFEST_LIMITS,
  type ArtifactKind,
  type FirmwareManifest,
} from './firmware-manifest.dto.js';
export { manifestIssues, parseManifest } from './parse-manifest.js';
export {
  KEY_ID_PATTERN,
  parseEnvelope,
  type ManifestSignature,
  type SignedManifest,
} from './signed-manifest.js';
export {
  generateReleaseKey,
  keyIdOf,
  toPrivateKey,
  toPublicKey,
  type ReleaseKeyPair,
} from './release-key.js';
export {
  manifestSigningBytes,
  signManifest,
  trustedKey,
  verifySignedManifest,
  type TrustedKey,
  type VerifiedManifest,
} from './manifest-signer.js';
export {
  assertDigestMatches,
  digestFile,
  digestStream,
  verifyArtifactFile,
  type ArtifactDigest,
  type DigestOptions,
} from './artifact-digest.js';
export {
  assertCompatible,
  checkCompatibility,
  type CompatibilityOptions,
  type CompatibilityVerdict,
  type GatewayIdentity,
  type IncompatibilityCode,
} from './compatibility.js';
export type { HttpClient, HttpGetRequest, HttpGetResponse } from './http-client.port.js';
export { NodeHttpClient, type NodeHttpClientOptions } from './node-http.driver.js';
export {
  ResumableDownloader,
  type DownloadProgress,
  type DownloadRequest,
  type DownloadResult,
  type DownloadSource,
  type DownloadSourceProvider,
  type ResumableDownloaderOptions,
} from './resumable-downloader.js';
export {
  BUNDLE_INFO_FILE,
  packAgentBundle,
  readBundleInfo,
  unpackAgentBundle,
  type BundleInfo,
  type UnpackLimits,
} from './agent-bundle.js';
export { writeFileAtomic } from './atomic-file.js';
export type {
  InstallerStatus,
  InstallOptions,
  InstallOutcome,
  InstallResult,
  InstallResultRecord,
  SlotInstaller,
  SlotVersion,
  TrialInfo,
} from './slot-installer.port.js';
export {
  AB_SLOTS,
  SlotStateStore,
  type AbSlot,
  type AbSlotContent,
  type AbSlotState,
} from './slot-state.store.js';
export {
  AbSlotInstaller,
  type AbInstallStep,
  type AbSlotInstallerOptions,
  type BootDecision,
} from './ab-slot-installer.js';
export { RESTART_EXIT_CODE, SLOT_ENV, TrialHandle } from './trial-handle.js';
export type {
  ProcessExit,
  ProcessSpawner,
  SpawnedProcess,
  SpawnOptions,
} from './process-spawner.port.js';
export { NodeProcessSpawner } from './node-process.adapter.js';
export {
  SlotSupervisor,
  type SlotSupervisorOptions,
  type SupervisorLogger,
  type SupervisorState,
  type SupervisorStatus,
} from './slot-supervisor.js';
export type { CommandOptions, CommandResult, CommandRunner } from './command-runner.port.js';
export { ChildProcessCommandRunner } from './child-process-command-runner.adapter.js';
export {
  parseRaucStatus,
  RaucInstaller,
  type RaucInstallerOptions,
  type RaucSlotStatus,
  type RaucStatus,
} from './rauc-installer.js';
