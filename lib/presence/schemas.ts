import { z } from "zod";

const b64url = z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/, "base64url");

/** What @simplewebauthn/browser's startRegistration returns; its contents are checked by the verifier. */
export const RegistrationResponse = z.looseObject({
  id: b64url,
  rawId: b64url,
  type: z.literal("public-key"),
  response: z.looseObject({ clientDataJSON: b64url, attestationObject: z.string().min(1).max(16384).regex(/^[A-Za-z0-9_-]+$/), transports: z.array(z.string().max(32)).max(10).optional() }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

/** What startAuthentication returns. */
export const AuthenticationResponse = z.looseObject({
  id: b64url,
  rawId: b64url,
  type: z.literal("public-key"),
  response: z.looseObject({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.optional() }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

export const PasskeyName = z.string().trim().min(1, "Required").max(80);

export const PasskeyRegistration = z.strictObject({ name: PasskeyName, response: RegistrationResponse });
export const PasskeyRename = z.strictObject({ name: PasskeyName });
export const PasskeyParams = z.object({ id: z.string().min(1).max(64) });

export const PasswordReauth = z.strictObject({ method: z.literal("password"), password: z.string().min(1, "Required").max(1024) });
export const PasskeyReauth = z.strictObject({ method: z.literal("passkey"), response: AuthenticationResponse });
export const ReauthRequest = z.discriminatedUnion("method", [PasswordReauth, PasskeyReauth]);

export const PasskeyView = z.object({ id: z.string(), name: z.string(), transports: z.array(z.string()), createdAt: z.string(), lastUsedAt: z.string().nullable() });
export type PasskeyView = z.infer<typeof PasskeyView>;

export const ReauthStatus = z.object({ method: z.enum(["passkey", "password"]).nullable(), provedAt: z.string().nullable(), freshUntil: z.string().nullable(), passkeys: z.number().int() });

export const CreationOptions = z.looseObject({ challenge: z.string() });
export const RequestOptions = z.looseObject({ challenge: z.string() });
