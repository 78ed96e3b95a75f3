"""LLM backends: OpenAI-compatible HTTP client, vLLM on Ray Data, the response cache, accounting."""
