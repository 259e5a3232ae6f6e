export type * from './profile.types.js';
export type { ProfileIssue } from './profile-issue.js';
export { formatProfileIssue } from './profile-issue.js';
export { ProfileValidationError } from './profile-validation.error.js';
export { ProfileNotFoundError } from './profile-not-found.error.js';
export { PointCodecError, type PointCodecErrorCode } from './point-codec.error.js';
export { CommandError, type CommandErrorCode } from './command.error.js';
export type { CommandIssue, CommandIssueCode } from './command-issue.js';
export { PelcoDFrameError, type PelcoDFrameErrorCode } from './pelco-d-frame.error.js';
export { ExpressionError } from './expression.error.js';
export { parseProfile, checkProfileSource, type ProfileCheckResult } from './profile-parser.js';
export { loadProfileCatalog, ProfileCatalog, defaultProfilesDir } from './profile-catalog.js';
export { decodePoint, encodePoint, type RawPointData, type EncodedPoint } from './point-codec.js';
export { pointRegisterCount } from './point-layout.js';
export { wordsToBytes, bytesToWords } from './register-bytes.js';
export { validateCommandParameters } from './command-parameters.js';
export { coerceCommandArguments } from './command-arguments.js';
export { resolveCommand, resolveSafetyStop, type ResolveOptions } from './command-resolver.js';
export { pollPlanInput, type PollGroupInput } from './poll-plan-input.js';
export {
  compileExpression,
  type ValueExpression,
  type ExpressionValue,
} from './value-expression.js';
export {
  buildPelcoDFrame,
  parsePelcoDFrame,
  pelcoDChecksum,
  pelcoDMotion,
  pelcoDStop,
  pelcoDExtended,
  pelcoD,
  buildPelcoDPositionReply,
  decodePelcoDReply,
  describePelcoDFrame,
  PELCO_D_BITS,
  PELCO_D_EXTENDED,
  PELCO_D_FRAME_LENGTH,
  PELCO_D_MAX_SPEED,
  PELCO_D_SYNC,
  PELCO_D_TURBO,
  type PelcoDFrame,
  type PelcoDMotion,
  type PelcoDCommand,
  type PelcoDPositionKind,
} from './pelco-d.js';
export { PROFILE_DEFAULTS, MODBUS_LIMITS, MAX_STEP_DELAY_MS } from './profile-defaults.js';
export {
  checkVectorsSource,
  VECTORS_SCHEMA_COMMENT,
  type VectorsCheckResult,
} from './profile-vectors.js';
export { checkProfileFiles, type ProfileFilesReport } from './profile-files-check.js';
