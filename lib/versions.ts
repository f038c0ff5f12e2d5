/**
 * Protocol versions emcee speaks, and version negotiation.
 *
 * @module
 */

/** Session-era versions, newest first (2024-11-05 … 2025-11-25). */
export const LEGACY_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const;

/** The newest session-era version. */
export const LATEST_LEGACY_VERSION = LEGACY_VERSIONS[0];

/**
 * Answers `initialize`'s `protocolVersion`: the client's own when supported,
 * otherwise the newest we support, which the client may then refuse
 * (lifecycle, 2024-11-05 onward).
 *
 * @param requested the client's `protocolVersion`
 * @returns the version to put in the result
 */
export function negotiate(requested: unknown): string {
  return typeof requested === "string" && (LEGACY_VERSIONS as readonly string[]).includes(requested)
    ? requested
    : LATEST_LEGACY_VERSION;
}

/** Whether `version` is a session-era version we serve. */
export function isLegacyVersion(version: string): boolean {
  return (LEGACY_VERSIONS as readonly string[]).includes(version);
}

/** Whether `version` is at least `floor` (dates compare as strings). */
export function atLeast(version: string, floor: string): boolean {
  return version >= floor;
}
