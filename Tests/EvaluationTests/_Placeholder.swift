// Placeholder until the evaluation tests land.
