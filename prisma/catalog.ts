// The tool catalog every installation starts with: the tools the seed articles name.
export const CATALOG = [
  { name: "repo.read", risk: "low", readOnly: true, description: "Read files and history of a repository" },
  { name: "repo.branch.create", risk: "low", readOnly: false, description: "Create a branch" },
  { name: "repo.commit", risk: "medium", readOnly: false, description: "Commit files to a branch" },
  { name: "pull_request.create", risk: "medium", readOnly: false, description: "Open a pull request" },
  { name: "pull_request.merge", risk: "high", readOnly: false, description: "Merge a pull request" },
  { name: "ci.test.read", risk: "low", readOnly: true, description: "Read CI test results" },
  { name: "production.deploy", risk: "critical", readOnly: false, description: "Deploy to production" },
  { name: "billing.write", risk: "critical", readOnly: false, description: "Change billing terms or charges" },
  { name: "secrets.read", risk: "critical", readOnly: true, description: "Read secrets from the vault" },
  { name: "user.invite", risk: "high", readOnly: false, description: "Invite a user to an organisation" },
  { name: "contracts.read", risk: "medium", readOnly: true, description: "Read customer contracts" },
  { name: "crm.read", risk: "low", readOnly: true, description: "Read CRM records" },
  { name: "crm.write", risk: "medium", readOnly: false, description: "Update CRM records and notes" },
  { name: "tickets.create", risk: "low", readOnly: false, description: "Create a ticket" },
  { name: "email.send", risk: "high", readOnly: false, description: "Send an email to a customer" },
  { name: "slack.post", risk: "medium", readOnly: false, description: "Post a Slack message" },
] as const;
