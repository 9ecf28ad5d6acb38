"""Coverage-guided fuzzing (atheris/libFuzzer) of every parser of untrusted bytes: docs/fuzzing.md."""
