"""Intent detection and idea-request parsing: the same phrase always gets the same intent."""

from __future__ import annotations

import pytest

from lib.assistant.intents import INTENTS, detect_intent, parse_idea_request

PHRASINGS = {
    "idea_generation": [
        "Can you suggest some project ideas?",
        "I need ideas for my final year project in machine learning",
        "Give me 5 IoT project ideas for agriculture",
        "Brainstorm a few topics with me",
        "What should I build for my capstone?",
        "Recommend a good blockchain project topic",
    ],
    "pricing": [
        "How much does the premium plan cost?",
        "What are your prices?",
        "Tell me about the pricing",
        "Is there a cheaper package?",
        "What fees do you charge in rupees?",
        "hi, what plans do you offer?",
    ],
    "synopsis_help": [
        "How do I write my synopsis?",
        "What should go into the abstract and objectives?",
        "Can you help with the methodology section of my proposal?",
        "My synopsis was rejected, what now?",
        "What is the format of a project synopsis?",
    ],
    "meeting": [
        "I want to book a meeting with a mentor",
        "Can I schedule a call with my guide?",
        "When is my next meeting?",
        "I'd like to talk to someone about my project",
        "Reschedule my appointment please",
    ],
    "order_status": [
        "What's the status of my order?",
        "Has my payment gone through?",
        "I want a refund for my purchase",
        "Where is my invoice?",
        "Track order 42",
    ],
    "greeting": [
        "Hi",
        "hello there",
        "Hey!",
        "Good morning",
        "namaste",
        "how are you?",
    ],
    "other": [
        "What is the capital of France?",
        "asdfgh",
        "Tell me a joke",
        "Who won the match yesterday?",
        "?",
    ],
}
CASES = [(intent, phrase) for intent, phrases in PHRASINGS.items() for phrase in phrases]


def test_every_intent_has_at_least_four_phrasings() -> None:
    assert set(PHRASINGS) == set(INTENTS)
    assert all(len(phrases) >= 4 for phrases in PHRASINGS.values())


@pytest.mark.parametrize(("intent", "message"), CASES, ids=[f"{i}:{m[:30]}" for i, m in CASES])
def test_detect_intent(intent: str, message: str) -> None:
    assert detect_intent(message) == intent


def test_detection_ignores_case_and_is_deterministic() -> None:
    assert detect_intent("HOW MUCH IS THE BASIC PLAN") == "pricing"
    assert {detect_intent("Suggest an idea for IoT") for _ in range(20)} == {"idea_generation"}


def test_a_greeting_with_a_question_answers_the_question() -> None:
    assert detect_intent("Hello! How much does it cost?") == "pricing"
    assert detect_intent("hey, can you give me a project idea?") == "idea_generation"


def test_parse_idea_request_reads_category_interests_level_and_count() -> None:
    request = parse_idea_request("Give me 4 advanced IoT project ideas for agriculture and healthcare")
    assert request.category == "iot"
    assert request.interests == ["healthcare", "agriculture"]
    assert request.complexity == "advanced"
    assert request.count == 4


def test_parse_idea_request_word_numbers_and_missing_parts() -> None:
    request = parse_idea_request("three easy machine learning ideas please")
    assert (request.category, request.complexity, request.count) == ("ml", "beginner", 3)
    assert request.interests == []
    empty = parse_idea_request("any ideas?")
    assert (empty.category, empty.interests, empty.complexity, empty.count) == (None, [], None, None)
