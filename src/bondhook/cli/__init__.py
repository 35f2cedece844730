"""`bondhook`, the command: argument parsing, the commands, and what they print."""
