/**
 * The web app's pages that mail links to, under APP_URL. The app reads `token` from the query
 * and posts it to the API (e.g. `POST /v1/auth/password/reset {token, password}`).
 */
export const appPages = {
  verifyEmail: "/verify-email",
  confirmSignup: "/confirm-signup",
  resetPassword: "/reset-password",
  acceptInvitation: "/accept-invitation",
  /** Email changes are confirmed with `POST /v1/auth/verify-email`, like a first address. */
  confirmEmailChange: "/verify-email",
  forgotPassword: "/forgot-password",
  accountSecurity: "/account/security",
  webhooks: "/settings/webhooks",
} as const;
