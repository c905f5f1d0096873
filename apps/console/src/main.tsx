import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Route, Routes } from "react-router";
import { Layout, RequireSession } from "./layout.tsx";
import { OperatorApp } from "./operator/operator-app.tsx";
import { AccountSecurityPage } from "./pages/account-security.tsx";
import { AcceptInvitationPage, NotFoundPage } from "./pages/accounts.tsx";
import { ApiKeysPage } from "./pages/api-keys.tsx";
import { AuditLogPage } from "./pages/audit-log.tsx";
import { BillingPage, BillingSuccessPage } from "./pages/billing.tsx";
import { ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage } from "./pages/email-links.tsx";
import { InvitationsPage } from "./pages/invitations.tsx";
import { MembersPage } from "./pages/members.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { ProjectPage } from "./pages/project.tsx";
import { ProjectsPage } from "./pages/projects.tsx";
import { SecurityLogPage } from "./pages/security-log.tsx";
import { SettingsPage } from "./pages/settings.tsx";
import { SignInPage } from "./pages/sign-in.tsx";
import { ConfirmSignupPage, SignUpPage } from "./pages/sign-up.tsx";
import { TaskPage } from "./pages/task.tsx";
import { WebhooksPage } from "./pages/webhooks.tsx";
import { SessionProvider } from "./session.tsx";
import "./styles.css";

// Every page has its own URL (deep links, the back button); the gateway answers index.html for
// any path that is not the API's, and the router picks the page. Mail links to the first group.
function App() {
  return (
    <Routes>
      <Route path="operator/*" element={<OperatorApp />} />
      <Route element={<Layout />}>
        <Route path="sign-in" element={<SignInPage />} />
        <Route path="sign-up" element={<SignUpPage />} />
        <Route path="confirm-signup" element={<ConfirmSignupPage />} />
        <Route path="accept-invitation" element={<AcceptInvitationPage />} />
        <Route path="verify-email" element={<VerifyEmailPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route element={<RequireSession />}>
          <Route index element={<OverviewPage />} />
          <Route path="projects" element={<ProjectsPage />} />
          <Route path="projects/:projectId" element={<ProjectPage />} />
          <Route path="projects/:projectId/tasks/:taskId" element={<TaskPage />} />
          <Route path="members" element={<MembersPage />} />
          <Route path="invitations" element={<InvitationsPage />} />
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route path="billing" element={<BillingPage />} />
          <Route path="billing/success" element={<BillingSuccessPage />} />
          <Route path="audit-log" element={<AuditLogPage />} />
          <Route path="security-log" element={<SecurityLogPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="settings/webhooks" element={<WebhooksPage />} />
          <Route path="account/security" element={<AccountSecurityPage />} />
        </Route>
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <SessionProvider>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </SessionProvider>
  </StrictMode>,
);
