"""The Slack bot: a slack_bolt async app mounted in the HTTP service at /slack/events."""
