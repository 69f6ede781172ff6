"""The optional LLM reviewer: providers, prompts, structured output, grounding gate."""
