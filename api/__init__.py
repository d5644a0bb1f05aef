"""HTTP service and Slack bot on top of `rag`."""
