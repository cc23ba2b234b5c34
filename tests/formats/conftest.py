"""Tests of the formats other tools read: Gradescope's results.json, JUnit XML, CI files."""
