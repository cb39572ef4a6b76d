"""The fake AI provider the chatbot and idea tests configure: its URL, key, model and a completion."""

from __future__ import annotations

import httpx

AI_URL = "https://ai.example.test/v1/chat/completions"
AI_KEY = "sk-test-provider-key-0123456789"
AI_MODEL = "test-model-1"


def completion(content: str) -> httpx.Response:
    """A chat-completions answer whose first choice says `content`."""
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
        },
    )
