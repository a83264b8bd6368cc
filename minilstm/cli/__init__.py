"""The command line, ``python -m minilstm COMMAND``: one module per command."""
from .train import SAMPLE_LENGTH, SAMPLE_PRIME, SAMPLE_TEMPERATURE, TASKS, known_words, read_vocab, write_vocab

__all__ = ["TASKS", "SAMPLE_LENGTH", "SAMPLE_PRIME", "SAMPLE_TEMPERATURE", "known_words", "read_vocab", "write_vocab"]
