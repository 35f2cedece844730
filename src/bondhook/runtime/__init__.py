"""What every process of bondhook shares: one time budget for its waits, logging, and the hooks'
never-fail main."""
