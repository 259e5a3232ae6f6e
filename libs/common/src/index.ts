export { packageRoot } from './package-root.js';
export { DomainError } from './domain-error.js';
export { createUuidV7Generator, uuidv7, UUID_PATTERN } from './uuid-v7.js';
