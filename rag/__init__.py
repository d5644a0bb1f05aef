"""paper-rag: question answering over research-paper abstracts, with checkable citations."""
