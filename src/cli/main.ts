// Placeholder CLI entry; replaced by the real command table.
process.exitCode = 2;
