"""Prompt templates (plain text files beside this one), packaged as `rag.prompt_templates`."""
