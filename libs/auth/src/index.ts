export { API_KEY_PATTERN, type ApiKeyView, createApiKey, listApiKeys, revokeApiKey } from "./api-keys.js";
export { type Authenticator, createAuthenticator } from "./authenticator.js";
export { type CredentialBox, createCredentialBox } from "./credential-box.js";
export { randomToken, sha256 } from "./crypto.js";
export {
  assertGroupRole,
  type GroupAction,
  type GroupRole,
  groupRoleOf,
  requireCredentialFor,
  requireGroupAccess,
  scopeFor,
} from "./group-access.js";
export { ARGON2_PARAMS, hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from "./password.js";
export {
  type Principal,
  requireScope,
  SCOPES,
  type Scope,
  userScopes,
  type WidgetGrant,
} from "./principal.js";
export {
  createSession,
  revokeAllSessions,
  revokeSession,
  rotateRefreshToken,
  sessionOfRefreshToken,
} from "./sessions.js";
export { type AuthSettings, keyStoreFrom, tokenSettingsFrom } from "./settings.js";
export { createKeyStore, type KeyStore, type KeyStoreOptions, TOKEN_ALG } from "./signing-keys.js";
export {
  type AccessClaims,
  issueAccessToken,
  type TokenSettings,
  type VerifiedAccess,
  verifyAccessToken,
} from "./tokens.js";
export { judgeWidget, normalizeOrigin, originAllowed, requireWidgetOrigin } from "./widget-grant.js";
export {
  createWidgetKey,
  getWidgetKey,
  listWidgetKeys,
  revokeWidgetKey,
  type WidgetKeyView,
} from "./widget-keys.js";
