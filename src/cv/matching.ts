// Subtype matching lives with the engine (MCMC chains use it too); cross-validation uses it from there.
export * from '../sustain/matching.js';
